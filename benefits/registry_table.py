"""The person registry's table, for the benefits' set-based statements that join it (a death, a
recall, the life certificates' campaign, the pension-age scan, the events waiting for a person);
everything else reads the registry through identity's face."""

from benefits.models import Entitlement

PERSON_TABLE = Entitlement._meta.get_field("person").related_model._meta.db_table
