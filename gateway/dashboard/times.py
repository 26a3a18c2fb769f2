"""Times as the reader reads them: in the reader's language (the request's `Accept-Language`) and the configured
display zone (`ECOC_DISPLAY_ZONE`; no per-person preference is stored), to the minute, with the zone named. Pages
run no script, so this is done on the server; each `<time datetime>` keeps the exact instant."""
import datetime as dt
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_time, get_datetime_format

DEFAULT_LOCALE = Locale.parse("en_GB")  # day month year and a 24-hour clock when the reader names no language
MAX_LANGUAGES = 10  # of a header's ranges: more are not looked at


def reader_locale(accept_language):
    """The first language of an `Accept-Language` header (by quality) that babel knows; else `DEFAULT_LOCALE`."""
    ranges = []
    for position, part in enumerate((accept_language or "").split(",")[:MAX_LANGUAGES]):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        if tag and tag != "*" and quality > 0:
            ranges.append((-quality, position, tag.strip()))
    for _, _, tag in sorted(ranges):
        try:
            return Locale.parse(tag, sep="-")
        except (ValueError, TypeError, UnknownLocaleError):
            continue
    return DEFAULT_LOCALE


def local_time(value, locale=DEFAULT_LOCALE, zone="UTC"):
    """An ISO-8601 instant as `locale` writes a date with a time to the minute, in `zone`, the zone named after it
    ("3 Dec 2026, 16:05 CET"); a date-time without a zone is taken as UTC. A text that is no date-time is shown as
    it is."""
    try:
        moment = dt.datetime.fromisoformat(str(value))
    except ValueError:
        return value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    moment = moment.astimezone(ZoneInfo(zone))
    pattern = get_datetime_format("medium", locale=locale).replace("'", "")
    text = pattern.replace("{1}", format_date(moment, "medium", locale=locale)).replace(
        "{0}", format_time(moment, "short", locale=locale))
    return f"{text} {moment.tzname()}"
