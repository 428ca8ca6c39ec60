"""Generated, credible demo signatories: about 40 countries, each with its own cities and
names in its own language, weighted as a press-freedom network's members might be.

Every name is made from a pattern and a city; none is copied from a real organisation.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

# Organisation name patterns per language; {city} is a city of the signatory's country.
PATTERNS = {
    "en": ["{city} Press Club", "{city} Centre for Media Freedom", "Independent Journalists' Forum, {city}",
           "{city} Media Monitoring Project", "Free Expression Network {city}",
           "{city} Association of Women in Media", "Community Radio Network, {city}",
           "{city} Institute for Investigative Reporting", "Reporters' Safety Desk {city}",
           "{city} Digital Rights Lab", "Newsroom Legal Defence Fund {city}"],
    "fr": ["Observatoire des médias de {city}", "Association des journalistes indépendants de {city}",
           "Collectif pour la liberté de la presse, {city}", "Maison de la presse de {city}",
           "Réseau des radios communautaires de {city}", "Centre de formation des journalistes de {city}",
           "Ligue pour la liberté d'expression, {city}", "Cellule d'enquête journalistique de {city}"],
    "es": ["Asociación de Periodistas de {city}", "Observatorio de Medios de {city}",
           "Red de Radios Comunitarias de {city}", "Colectivo de Periodismo Independiente de {city}",
           "Centro de Periodismo de Investigación de {city}", "Mujeres Periodistas de {city}",
           "Defensoría de la Libre Expresión, {city}", "Mesa de Seguridad para Periodistas de {city}"],
    "pt": ["Associação de Jornalistas de {city}", "Observatório de Mídia de {city}",
           "Rede de Rádios Comunitárias de {city}", "Coletivo de Jornalismo Independente de {city}",
           "Centro de Jornalismo Investigativo de {city}", "Mulheres Jornalistas de {city}"],
    "ar": ["مرصد الإعلام في {city}", "جمعية الصحفيين المستقلين في {city}", "مركز {city} لحرية الصحافة",
           "شبكة الإذاعات المجتمعية في {city}", "منتدى {city} للصحافة الاستقصائية",
           "رابطة الصحفيات في {city}", "مبادرة {city} للدفاع عن حرية التعبير"],
    "ru": ["Центр защиты журналистов ({city})", "Союз независимых журналистов, {city}",
           "Мониторинг СМИ, {city}", "Фонд поддержки региональной прессы ({city})",
           "Ассоциация медиаюристов ({city})", "Клуб расследовательской журналистики, {city}"],
}

# Names of individual signatories per language.
PEOPLE = {
    "en": ["Grace Wanjiru", "Samuel Okafor", "Priya Raman", "Tendai Moyo", "Abena Owusu", "Farhan Kabir",
           "Maria Santos", "Joseph Mukasa", "Nadia Rahman", "Daniel Mensah"],
    "fr": ["Aminata Diallo", "Jean-Paul Kaboré", "Élodie Martin", "Moussa Traoré", "Fatou Ndiaye",
           "Nadège Mbarga", "Yves Kouassi"],
    "es": ["Lucía Fernández", "Mateo Rojas", "Valentina Gómez", "Andrés Castillo", "Camila Herrera",
           "Julián Morales"],
    "pt": ["Ana Beatriz Souza", "João Pedro Lima", "Marta Cossa", "Helena Machava"],
    "ar": ["سارة الحسيني", "يوسف منصور", "ليلى حداد", "أحمد العمري", "منى عبد الرحمن", "خالد بن علي"],
    "ru": ["Анна Смирнова", "Олег Кузнецов", "Ирина Волкова", "Дмитрий Орлов", "Айгерим Сапарова"],
}


@dataclass(frozen=True)
class Country:
    code: str
    lang: str  # the language its organisations' names are in
    weight: int  # how many members it has, relatively
    cities: tuple[str, ...]


COUNTRIES = [
    Country("KE", "en", 5, ("Nairobi", "Mombasa", "Kisumu", "Eldoret")),
    Country("NG", "en", 5, ("Lagos", "Abuja", "Kano", "Port Harcourt")),
    Country("GH", "en", 3, ("Accra", "Kumasi", "Tamale")),
    Country("UG", "en", 3, ("Kampala", "Gulu", "Mbarara")),
    Country("ZA", "en", 3, ("Johannesburg", "Cape Town", "Durban")),
    Country("ZW", "en", 2, ("Harare", "Bulawayo")),
    Country("IN", "en", 4, ("Delhi", "Mumbai", "Chennai", "Kolkata")),
    Country("PK", "en", 3, ("Karachi", "Lahore", "Islamabad")),
    Country("BD", "en", 2, ("Dhaka", "Chattogram", "Khulna")),
    Country("PH", "en", 4, ("Manila", "Cebu", "Davao")),
    Country("NP", "en", 1, ("Kathmandu", "Pokhara")),
    Country("GB", "en", 2, ("London", "Manchester", "Glasgow")),
    Country("US", "en", 2, ("New York", "Washington", "Chicago")),
    Country("GE", "en", 2, ("Tbilisi", "Batumi", "Kutaisi")),
    Country("FR", "fr", 3, ("Paris", "Lyon", "Marseille", "Toulouse")),
    Country("SN", "fr", 3, ("Dakar", "Saint-Louis", "Thiès")),
    Country("CI", "fr", 2, ("Abidjan", "Bouaké", "Yamoussoukro")),
    Country("CM", "fr", 2, ("Yaoundé", "Douala", "Bamenda")),
    Country("CD", "fr", 3, ("Kinshasa", "Goma", "Lubumbashi", "Bukavu")),
    Country("BF", "fr", 2, ("Ouagadougou", "Bobo-Dioulasso")),
    Country("BE", "fr", 1, ("Bruxelles", "Liège", "Namur")),
    Country("HT", "fr", 1, ("Port-au-Prince", "Cap-Haïtien")),
    Country("MX", "es", 4, ("Ciudad de México", "Guadalajara", "Monterrey", "Oaxaca")),
    Country("CO", "es", 3, ("Bogotá", "Medellín", "Cali", "Barranquilla")),
    Country("VE", "es", 2, ("Caracas", "Maracaibo", "Valencia")),
    Country("NI", "es", 1, ("Managua", "León")),
    Country("HN", "es", 2, ("Tegucigalpa", "San Pedro Sula")),
    Country("PE", "es", 2, ("Lima", "Arequipa", "Cusco")),
    Country("AR", "es", 2, ("Buenos Aires", "Córdoba", "Rosario")),
    Country("BR", "pt", 4, ("São Paulo", "Salvador", "Porto Alegre", "Belo Horizonte")),
    Country("MZ", "pt", 2, ("Maputo", "Beira", "Nampula")),
    Country("EG", "ar", 3, ("القاهرة", "الإسكندرية", "المنصورة")),
    Country("LB", "ar", 3, ("بيروت", "طرابلس", "صيدا")),
    Country("JO", "ar", 2, ("عمّان", "إربد", "الزرقاء")),
    Country("TN", "ar", 2, ("تونس", "صفاقس", "سوسة")),
    Country("MA", "ar", 2, ("الرباط", "الدار البيضاء", "فاس")),
    Country("IQ", "ar", 2, ("بغداد", "البصرة", "أربيل")),
    Country("YE", "ar", 1, ("صنعاء", "عدن", "تعز")),
    Country("KZ", "ru", 2, ("Алматы", "Астана", "Шымкент")),
    Country("KG", "ru", 2, ("Бишкек", "Ош")),
    Country("RU", "ru", 2, ("Москва", "Санкт-Петербург", "Екатеринбург")),
]


ELISION = re.compile(r"\bde (?=[AEIOUÉÈ])")


class Generator:
    """Draws distinct signatories for one statement: a country by weight, then a name that fits it."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used: set[str] = set()

    def country(self) -> Country:
        return self.rng.choices(COUNTRIES, weights=[c.weight for c in COUNTRIES])[0]

    def organisation(self) -> tuple[Country, str]:
        """A country and an organisation name not drawn before for this statement."""
        while True:
            country = self.country()
            for _attempt in range(8):
                name = self.rng.choice(PATTERNS[country.lang]).format(city=self.rng.choice(country.cities))
                if country.lang == "fr":
                    name = ELISION.sub("d'", name)  # "de Abidjan" is "d'Abidjan"
                if name not in self.used:
                    self.used.add(name)
                    return country, name

    def individual(self) -> tuple[Country, str]:
        country = self.country()
        return country, self.rng.choice(PEOPLE[country.lang])
