"""Country names and codes -> ISO 3166-1 alpha-2, lower case.

List files name countries in many ways: OFAC writes "Korea, North" and "Region: Crimea",
the CSL ends each address with a code ("..., CN"), Japan's METI writes "Islamic
Republic of Iran", the EU gives nationalities ("Chinese"). :func:`to_iso2` maps all of
these to one code, or returns ``None`` when it does not know the text; it never guesses.

Codes beyond ISO 3166-1 that sanction lists use: ``xk`` (Kosovo, user-assigned) and
``an`` (Netherlands Antilles, withdrawn in 2010 but still in OFAC addresses).
Disputed regions map to the country ISO 3166-2 puts them in (Crimea -> ``ua``,
Gaza and West Bank -> ``ps``); "Kafia Kingi" (Sudan/South Sudan) maps to nothing.
"""

from __future__ import annotations

import re
import unicodedata

# Every ISO 3166-1 alpha-2 code, plus xk and an (see above).
_CODES = frozenset(
    """
    ad ae af ag ai al am ao aq ar as at au aw ax az ba bb bd be bf bg bh bi bj bl bm bn bo
    bq br bs bt bv bw by bz ca cc cd cf cg ch ci ck cl cm cn co cr cu cv cw cx cy cz de dj
    dk dm do dz ec ee eg eh er es et fi fj fk fm fo fr ga gb gd ge gf gg gh gi gl gm gn gp
    gq gr gs gt gu gw gy hk hm hn hr ht hu id ie il im in io iq ir is it je jm jo jp ke kg
    kh ki km kn kp kr kw ky kz la lb lc li lk lr ls lt lu lv ly ma mc md me mf mg mh mk ml
    mm mn mo mp mq mr ms mt mu mv mw mx my mz na nc ne nf ng ni nl no np nr nu nz om pa pe
    pf pg ph pk pl pm pn pr ps pt pw py qa re ro rs ru rw sa sb sc sd se sg sh si sj sk sl
    sm sn so sr ss st sv sx sy sz tc td tf tg th tj tk tl tm tn to tr tt tv tw tz ua ug um
    us uy uz va vc ve vg vi vn vu wf ws ye yt za zm zw xk an
    """.split()
)

# code: names, variants and demonyms, separated by "|". Compared after _key() below.
_NAMES = """
af: Afghanistan|Afghan
al: Albania|Albanian
dz: Algeria|Algerian
ao: Angola
ar: Argentina|Argentine|Argentinian
am: Armenia|Armenian
aw: Aruba
au: Australia|Australian
at: Austria|Austrian
az: Azerbaijan|Azerbaijani
bs: Bahamas|Bahamas, The|The Bahamas
bh: Bahrain|Bahraini
bd: Bangladesh|Bangladeshi
bb: Barbados
by: Belarus|Belarusian|Belarussian|Byelorussia
be: Belgium|Belgian
bz: Belize
bj: Benin
bo: Bolivia|Plurinational State of Bolivia
ba: Bosnia and Herzegovina|Bosnia-Herzegovina|Bosnia
br: Brazil|Brazilian
bn: Brunei|Brunei Darussalam
bg: Bulgaria|Bulgarian
bf: Burkina Faso
mm: Burma|Myanmar|Burmese|Myanmar (Burma)
bi: Burundi
kh: Cambodia|Cambodian
cm: Cameroon
ca: Canada|Canadian
ky: Cayman Islands
cf: Central African Republic
td: Chad
cl: Chile|Chilean
cn: China|People's Republic of China|PRC|P.R. China|Chinese|Mainland China|China (Mainland)
co: Colombia|Colombian
km: Comoros
cd: Congo, Democratic Republic of the|Democratic Republic of the Congo|Democratic Republic of Congo|Congo (Democratic Republic)|DR Congo|DRC|Congo (Kinshasa)
cg: Congo, Republic of the|Republic of the Congo|Congo (Brazzaville)
cr: Costa Rica
ci: Cote d Ivoire|Cote d'Ivoire|Ivory Coast
hr: Croatia|Croatian
cu: Cuba|Cuban
cy: Cyprus|Cypriot
cz: Czech Republic|Czechia|Czech
dk: Denmark|Danish
dm: Dominica
do: Dominican Republic
ec: Ecuador
eg: Egypt|Egyptian
sv: El Salvador
gq: Equatorial Guinea
er: Eritrea|Eritrean
ee: Estonia|Estonian
et: Ethiopia|Ethiopian
fi: Finland|Finnish
fr: France|French
ga: Gabon
gm: Gambia|The Gambia|Gambia, The
ge: Georgia|Georgian
de: Germany|German|Federal Republic of Germany
gh: Ghana
gi: Gibraltar
gr: Greece|Greek
gt: Guatemala|Guatemalan
gg: Guernsey
gn: Guinea
gw: Guinea-Bissau
gy: Guyana
ht: Haiti|Haitian
hn: Honduras|Honduran
hk: Hong Kong|Hong Kong SAR|Hong Kong, China|Hongkong|China, Hong Kong Special Administrative Region
hu: Hungary|Hungarian
is: Iceland
in: India|Indian
id: Indonesia|Indonesian
ir: Iran|Islamic Republic of Iran|Iran (Islamic Republic of)|Iranian
iq: Iraq|Iraqi
ie: Ireland|Irish
il: Israel|Israeli
it: Italy|Italian
jm: Jamaica
jp: Japan|Japanese
je: Jersey
jo: Jordan|Jordanian
kz: Kazakhstan|Kazakh
ke: Kenya|Kenyan
xk: Kosovo
kw: Kuwait|Kuwaiti
kg: Kyrgyzstan|Kyrgyz Republic
la: Laos|Lao People's Democratic Republic|Lao PDR
lv: Latvia|Latvian
lb: Lebanon|Lebanese
lr: Liberia|Liberian
ly: Libya|Libyan
li: Liechtenstein
lt: Lithuania|Lithuanian
lu: Luxembourg
mo: Macau|Macao
mk: North Macedonia|Macedonia
mg: Madagascar
mw: Malawi
my: Malaysia|Malaysian
mv: Maldives
ml: Mali|Malian|Northern Mali
mt: Malta
mh: Marshall Islands
mr: Mauritania|Mauritanian
mu: Mauritius|Mauritian
mx: Mexico|Mexican
md: Moldova|Republic of Moldova|Moldovan
mc: Monaco
mn: Mongolia
me: Montenegro
ma: Morocco|Moroccan
mz: Mozambique
na: Namibia
np: Nepal
nl: Netherlands|The Netherlands|Holland|Dutch
an: Netherlands Antilles
nz: New Zealand
ni: Nicaragua|Nicaraguan
ne: Niger
ng: Nigeria|Nigerian
kp: Korea, North|North Korea|Democratic People's Republic of Korea|DPRK|North Korean
kr: Korea, South|South Korea|Republic of Korea|South Korean|Korea, Republic of
no: Norway|Norwegian
om: Oman
pk: Pakistan|Islamic Republic of Pakistan|Pakistani
pw: Palau
ps: Palestinian|Palestine|State of Palestine|West Bank|Gaza|Gaza Strip|Palestinian Territories|Occupied Palestinian Territories
pa: Panama|Panamanian
py: Paraguay
pe: Peru|Peruvian
ph: Philippines|Filipino
pl: Poland|Polish
pt: Portugal|Portuguese
qa: Qatar|Qatari
ro: Romania|Romanian
ru: Russia|Russian Federation|Russian
rw: Rwanda|Rwandan
kn: Saint Kitts and Nevis|St. Kitts and Nevis
vc: Saint Vincent and the Grenadines|St. Vincent and the Grenadines
ws: Samoa
sa: Saudi Arabia|Saudi|Saudi Arabian
sn: Senegal|Senegalese
rs: Serbia|Serbian
sc: Seychelles
sl: Sierra Leone
sg: Singapore|Singaporean
sk: Slovakia|Slovak
si: Slovenia|Slovenian
so: Somalia|Somali
za: South Africa|South African
ss: South Sudan|South Sudanese
es: Spain|Spanish
lk: Sri Lanka|Sri Lankan
sd: Sudan|Sudanese
se: Sweden|Swedish
ch: Switzerland|Swiss
sy: Syria|Syrian Arab Republic|Syrian
tw: Taiwan|Taiwan, Province of China|Republic of China (Taiwan)|Taiwanese
tj: Tajikistan
tz: Tanzania|United Republic of Tanzania
th: Thailand|Thai
tt: Trinidad and Tobago
tn: Tunisia|Tunisian
tr: Turkey|Turkiye|Türkiye|Turkish
tm: Turkmenistan
ug: Uganda|Ugandan
ua: Ukraine|Ukrainian|Crimea
ae: United Arab Emirates|UAE|Emirati
gb: United Kingdom|United Kingdom of Great Britain and Northern Ireland|UK|Great Britain|Britain|British
us: United States|United States of America|USA|U.S.A.|US|American
uy: Uruguay
uz: Uzbekistan|Uzbek
vu: Vanuatu
ve: Venezuela|Bolivarian Republic of Venezuela|Venezuelan
vn: Vietnam|Viet Nam|Vietnamese
vg: Virgin Islands, British|British Virgin Islands|BVI
ye: Yemen|Republic of Yemen|Yemeni
zm: Zambia
zw: Zimbabwe|Zimbabwean
"""

# Long-form prefixes dropped before a second lookup ("Arab Republic of Egypt" -> "egypt").
_PREFIXES = re.compile(
    r"^(?:region |the |(?:islamic |arab |people s |federal |socialist |united |"
    r"democratic |hashemite |sultanate |state |kingdom |republic )+(?:republic )?of (?:the )?)"
)


def _key(text: str) -> str:
    """Lower case, accents dropped, punctuation to spaces, spaces collapsed."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text.lower()).split())


def _load() -> dict[str, str]:
    table: dict[str, str] = {}
    for line in _NAMES.strip().splitlines():
        code, names = line.split(":", 1)
        for name in names.split("|"):
            table[_key(name)] = code.strip()
    return table


_TABLE = _load()


def to_iso2(text: str | None) -> str | None:
    """ISO alpha-2 code (lower case) for a country name, code or demonym, else None.

    >>> to_iso2("Korea, North"), to_iso2("CN"), to_iso2("Islamic Republic of Iran")
    ('kp', 'cn', 'ir')
    """
    if not text or not text.strip():
        return None
    raw = text.strip()
    if re.fullmatch(r"[A-Za-z]{2}", raw):
        code = raw.lower()
        if code == "uk":
            return "gb"
        return code if code in _CODES else None
    key = _key(raw)
    if key in _TABLE:
        return _TABLE[key]
    stripped = _PREFIXES.sub("", key)
    return _TABLE.get(stripped)
