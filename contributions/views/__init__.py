"""Pages of the contributions app: rates, the employment register and declarations
(``declarations``), the employer's account and online payment (``account``)."""
