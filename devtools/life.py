"""Demo life certificate of Jean, who lives in Alicante: asked this year, reminded twice,
unanswered by the due day, so his pension was suspended (the runs since skipped it); today his
daughter Sophie, who holds his mandate, sent the certificate the town hall signed. It waits in
the case workers' queue: accepted there (or Jean passes the identity check online, at the
sandbox), the pension resumes and the next run pays the months missed."""

from __future__ import annotations

import datetime
from collections.abc import Callable

from django.conf import settings
from django.utils import timezone

from benefits import services
from benefits.life import campaign
from benefits.types import LifeRefused
from core.actor import ActingMode, Actor, LevelOfAssurance
from identity.models import User
from mandates.models import Mandate

# Days before the seeding: the request, its two reminders, the suspension the day after it was due.
ASKED_DAYS_AGO = 160

_CERTIFICATE_HTML = """<!doctype html><html lang="es"><head><meta charset="utf-8"><style>
@page { size: A4; margin: 2.5cm } body { font-family: serif; font-size: 12pt }
h1 { font-size: 16pt; text-align: center } .stamp { margin-top: 3cm; border: 2px solid #1a4480;
color: #1a4480; width: 6cm; padding: .5cm; transform: rotate(-8deg) }</style></head><body>
<p>AYUNTAMIENTO DE ALICANTE — Registro Civil</p>
<h1>FE DE VIDA Y ESTADO / CERTIFICAT DE VIE</h1>
<p>D. Jean Peeters, nacido el 12 de marzo de 1954, domiciliado en Calle Mayor 5, 03001 Alicante,
ha comparecido hoy ante el funcionario que suscribe, quien certifica que vive.</p>
<p>Alicante, {day}</p>
<div class="stamp">Sello y firma del funcionario</div></body></html>"""


def certificate_pdf(day: datetime.date) -> bytes:
    """The town hall's certificate, as a scan would come: a PDF (no verification code: it is
    not ours)."""
    import weasyprint

    content: bytes = weasyprint.HTML(string=_CERTIFICATE_HTML.replace("{day}", day.strftime("%d/%m/%Y"))).write_pdf()
    return content


def life_events(
    *, users: dict[str, User], now: datetime.datetime
) -> list[tuple[datetime.datetime, Callable[[], None]]]:
    """Jean's year, as dated steps to run in time order among the payment runs: each at ten in
    the morning, local time, of its day (the due day is a local date)."""
    asked_day = timezone.localdate(now) - datetime.timedelta(days=ASKED_DAYS_AGO)

    def morning(day: datetime.date) -> datetime.datetime:
        return timezone.make_aware(datetime.datetime.combine(day, datetime.time(10, 0)))

    asked = morning(asked_day)
    sophie, jean = users["sophie"], users["jean"]

    def send() -> None:
        assert jean.person_id is not None
        mandate = Mandate.objects.get(principal_id=jean.person_id, proxy_id=sophie.person_id)
        proxy = Actor(
            user_id=sophie.pk,
            level_of_assurance=LevelOfAssurance.SUBSTANTIAL,
            mode=ActingMode.PROXY,
            person_id=sophie.person_id,
            subject_person_id=jean.person_id,
            mandate_id=mandate.pk,
            scopes=frozenset(mandate.scopes),
        )
        content = certificate_pdf((now - datetime.timedelta(days=2)).date())
        try:
            services.life_certificate_send(
                actor=proxy,
                person_id=jean.person_id,
                name="fe-de-vida-alicante.pdf",
                size=len(content),
                read=lambda: content,
                now=now - datetime.timedelta(hours=2),
            )
        except LifeRefused:
            # Nothing was asked: the campaign's month (LIFE_CERTIFICATE_CAMPAIGN_MONTH) had not
            # come on the day of the request. The demo then has no life certificate story.
            return

    def ask() -> None:
        campaign.life_certificates_ask(now=asked)

    def remind(at: datetime.datetime) -> Callable[[], None]:
        def step() -> None:
            campaign.life_certificates_remind(now=at)

        return step

    lapse = morning(asked_day + datetime.timedelta(days=settings.LIFE_CERTIFICATE_GRACE_DAYS + 1))

    def suspend() -> None:
        campaign.life_certificates_lapse(now=lapse)

    reminders = [morning(asked_day + datetime.timedelta(days=days)) for days in settings.LIFE_CERTIFICATE_REMINDER_DAYS]
    return [
        (asked, ask),
        *((at, remind(at)) for at in reminders),
        (lapse, suspend),
        (now - datetime.timedelta(hours=2), send),
    ]
