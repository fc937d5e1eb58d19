"""The cardholder fields as the API documents them: their names in order, the closed value lists, the length
and age limits, and the country codes (docs/cms-api.md). What the console checks them against is
webapp/cardholders/rules.py; these are the facts the rules, the bulk-file columns and the forms share.
"""

from __future__ import annotations

from typing import Final

FIELDS: Final = (
    "name",
    "lastName",
    "address",
    "countryOfBirth",
    "dateOfBirth",
    "maritalStatus",
    "gender",
    "phoneNumber",
    "email",
    "documentType",
    "documentNumber",
    "cardId",
)
MARITAL_STATUSES: Final = ("soltero", "casado", "viudo", "divorciado", "separado")
GENDERS: Final = ("F", "M", "OTHER")
DOCUMENT_TYPES: Final = ("DPI", "NIT", "PASSPORT", "LEGAL_ID", "PERSONAL_ID", "RESIDENCE_ID")

MIN_AGE: Final = 18
MAX_AGE: Final = 120
NAME_MAX: Final = 100
ADDRESS_MAX: Final = 200
EMAIL_MAX: Final = 254
# cardId travels as a JSON number; beyond 2**53 - 1 a JavaScript server would silently round it.
CARD_ID_MAX: Final = 2**53 - 1

# ISO 3166-1 alpha-2, officially assigned codes (user-assigned ones such as XK are not accepted upstream).
_COUNTRY_CODES: Final = """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ
    BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM
    DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS
    GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN
    KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ
    MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM
    PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV
    SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI
    VN VU WF WS YE YT ZA ZM ZW
"""
COUNTRIES: Final = frozenset(_COUNTRY_CODES.split())
