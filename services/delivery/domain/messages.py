"""What delivery reads from a sealed message: its header (the NAP judges the message itself; this only routes)."""
from lxml import etree

from common.ivi.reader import safe_parser
from common.ivi.schema import IVI_NS

NS = {"i": IVI_NS}


def intended_country(document):
    """The IntendedCountryRegistration of a sealed message (None when it names none or cannot be read)."""
    try:
        root = etree.fromstring(bytes(document), safe_parser())
    except etree.XMLSyntaxError:
        return None
    return (root.findtext("i:Header/i:IntendedCountryRegistration", namespaces=NS) or "").strip() or None
