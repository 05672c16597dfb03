"""The product catalogue the demo generator samples from.

Plain data: product types (each with a category path 3-4 levels deep, Russian nouns and their
synonyms, Latin brands and models, category-specific attributes, a realistic price range) plus the
cities, condition words and description phrases listings are assembled from. Keeping this in one
module means the generator logic in ``demo.py`` stays short and a newcomer can add a category by
adding one ``ProductType``.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ProductType:
    """One kind of product: where it lives in the category tree and how its cards are written."""

    key: str
    category_path: tuple[str, ...]
    # Synonymous nouns for the title; the first is the usual one. Grammatical gender "m", "f", "n"
    # or "p" (plural) picks the adjective forms below.
    nouns: tuple[str, ...]
    gender: str
    # brand -> models. Brands and models are Latin, as on real marketplaces.
    brands: dict[str, tuple[str, ...]]
    # attribute key -> possible values; the product's variant picks one value per key.
    attributes: dict[str, tuple[str, ...]]
    # Attribute keys whose value also goes into the title (e.g. memory size, colour).
    title_attributes: tuple[str, ...]
    price_range: tuple[int, int]
    # Shape drawn on the product photos: "rect", "ellipse", "triangle", "bottle", "box".
    shape: str
    extra_words: tuple[str, ...] = field(default_factory=tuple)


COLOURS_RGB: dict[str, tuple[int, int, int]] = {
    "черный": (30, 30, 34),
    "белый": (235, 235, 230),
    "синий": (40, 70, 190),
    "красный": (200, 40, 40),
    "зеленый": (40, 150, 70),
    "серый": (130, 130, 135),
    "розовый": (235, 140, 180),
    "желтый": (235, 200, 40),
    "фиолетовый": (120, 60, 170),
    "бежевый": (215, 195, 160),
}

#: Adjectives by gender, used in titles ("новый смартфон", "новая куртка", ...).
NEW_WORD = {"m": "новый", "f": "новая", "n": "новое", "p": "новые"}
ORIGINAL_WORDS = ("оригинал", "оригинальный")
TITLE_ADDONS = ("новый", "оригинал", "в наличии", "доставка", "гарантия", "срочно", "торг")

PRODUCT_TYPES: tuple[ProductType, ...] = (
    ProductType(
        key="smartphone",
        category_path=("Электроника", "Телефоны и аксессуары", "Смартфоны", "Android-смартфоны"),
        nouns=("Смартфон", "Телефон", "Мобильный телефон"),
        gender="m",
        brands={
            "Samsung": ("Galaxy A52", "Galaxy A34", "Galaxy S21 FE", "Galaxy M31"),
            "Xiaomi": ("Redmi Note 12", "Redmi 10C", "Poco X5 Pro", "Mi 11 Lite"),
            "Realme": ("C35", "GT Master Edition", "9 Pro"),
        },
        attributes={
            "память": ("64 ГБ", "128 ГБ", "256 ГБ"),
            "оперативная память": ("4 ГБ", "6 ГБ", "8 ГБ"),
            "цвет": ("черный", "синий", "белый", "зеленый"),
            "состояние": ("новое", "б/у"),
        },
        title_attributes=("память", "цвет"),
        price_range=(9000, 45000),
        shape="rect",
        extra_words=("две сим-карты", "NFC", "полный комплект"),
    ),
    ProductType(
        key="iphone",
        category_path=("Электроника", "Телефоны и аксессуары", "Смартфоны", "iPhone"),
        nouns=("Смартфон", "Телефон", "Айфон"),
        gender="m",
        brands={"Apple": ("iPhone 11", "iPhone 12 mini", "iPhone 13", "iPhone 14 Pro")},
        attributes={
            "память": ("64 ГБ", "128 ГБ", "256 ГБ", "512 ГБ"),
            "цвет": ("черный", "белый", "красный", "фиолетовый"),
            "состояние": ("новое", "б/у"),
        },
        title_attributes=("память", "цвет"),
        price_range=(25000, 120000),
        shape="rect",
        extra_words=("Face ID", "коробка", "чек"),
    ),
    ProductType(
        key="headphones",
        category_path=("Электроника", "Аудиотехника", "Наушники"),
        nouns=("Наушники", "Беспроводные наушники", "Гарнитура"),
        gender="p",
        brands={
            "Sony": ("WH-1000XM4", "WF-C500", "WH-CH520"),
            "JBL": ("Tune 510BT", "Live 660NC", "Wave Buds"),
            "Apple": ("AirPods Pro", "AirPods 3"),
        },
        attributes={
            "цвет": ("черный", "белый", "синий"),
            "тип подключения": ("Bluetooth", "проводные"),
        },
        title_attributes=("цвет",),
        price_range=(1500, 30000),
        shape="ellipse",
        extra_words=("шумоподавление", "кейс", "микрофон"),
    ),
    ProductType(
        key="sneakers",
        category_path=("Одежда, обувь, аксессуары", "Мужская обувь", "Кроссовки и кеды"),
        nouns=("Кроссовки", "Кроссовки мужские", "Беговые кроссовки"),
        gender="p",
        brands={
            "Nike": ("Air Max 90", "Air Force 1", "Pegasus 39"),
            "Adidas": ("Ultraboost 22", "Superstar", "Forum Low"),
            "New Balance": ("574", "990v5", "327"),
        },
        attributes={
            "размер": ("40", "41", "42", "43", "44", "45"),
            "цвет": ("белый", "черный", "серый", "красный"),
            "материал": ("кожа", "текстиль", "замша"),
        },
        title_attributes=("размер", "цвет"),
        price_range=(3000, 18000),
        shape="triangle",
        extra_words=("размер в размер", "натуральная кожа", "удобные"),
    ),
    ProductType(
        key="dress",
        category_path=("Одежда, обувь, аксессуары", "Женская одежда", "Платья и юбки", "Платья"),
        nouns=("Платье", "Платье женское", "Летнее платье"),
        gender="n",
        brands={
            "Zara": ("Midi", "Basic", "Satin"),
            "Mango": ("Wrap", "Linen"),
            "Love Republic": ("Cocktail", "Maxi"),
        },
        attributes={
            "размер": ("XS", "S", "M", "L", "XL"),
            "цвет": ("черный", "красный", "бежевый", "розовый", "синий"),
            "материал": ("хлопок", "вискоза", "лен", "шелк"),
        },
        title_attributes=("размер", "цвет"),
        price_range=(800, 9000),
        shape="triangle",
        extra_words=("по фигуре", "на запах", "с поясом"),
    ),
    ProductType(
        key="jacket",
        category_path=("Одежда, обувь, аксессуары", "Мужская одежда", "Верхняя одежда", "Куртки"),
        nouns=("Куртка", "Куртка мужская", "Пуховик"),
        gender="f",
        brands={
            "The North Face": ("Nuptse", "Resolve"),
            "Columbia": ("Powder Lite", "Omni-Heat"),
            "Zara": ("Puffer", "Bomber"),
        },
        attributes={
            "размер": ("46", "48", "50", "52", "54"),
            "цвет": ("черный", "синий", "зеленый", "серый"),
            "сезон": ("зима", "демисезон"),
        },
        title_attributes=("размер", "цвет"),
        price_range=(2500, 25000),
        shape="box",
        extra_words=("с капюшоном", "теплая", "непромокаемая"),
    ),
    ProductType(
        key="laundry",
        category_path=("Бытовая химия", "Средства для стирки", "Стиральные порошки и гели"),
        nouns=("Стиральный порошок", "Порошок для стирки", "Средство для стирки"),
        gender="m",
        brands={
            "Persil": ("Color", "Sensitive", "Expert"),
            "Ariel": ("Color", "Горный родник"),
            "Tide": ("Альпийская свежесть", "Color"),
        },
        attributes={
            "объём": ("1.5 кг", "3 кг", "4.5 кг", "6 кг"),
            "тип": ("автомат", "ручная стирка"),
        },
        title_attributes=("объём",),
        price_range=(300, 2500),
        shape="box",
        extra_words=("для цветного белья", "концентрат", "выгодная упаковка"),
    ),
    ProductType(
        key="dish",
        category_path=("Бытовая химия", "Средства для кухни", "Средства для мытья посуды"),
        nouns=("Средство для мытья посуды", "Гель для посуды", "Моющее средство"),
        gender="n",
        brands={
            "Fairy": ("Лимон", "Зеленое яблоко", "Platinum"),
            "AOS": ("Бальзам", "Лимон"),
            "Synergetic": ("Алоэ", "Без запаха"),
        },
        attributes={"объём": ("450 мл", "900 мл", "1.35 л", "5 л"), "аромат": ("лимон", "яблоко")},
        title_attributes=("объём",),
        price_range=(90, 900),
        shape="bottle",
        extra_words=("густой", "экономичный", "бережет руки"),
    ),
    ProductType(
        key="brake_pads",
        category_path=("Автотовары", "Запчасти", "Тормозная система", "Тормозные колодки"),
        nouns=("Тормозные колодки", "Колодки тормозные", "Колодки передние"),
        gender="p",
        brands={
            "Bosch": ("0 986 494 104", "0 986 424 795"),
            "Brembo": ("P 85 020", "P 23 071"),
            "TRW": ("GDB1550", "GDB3332"),
        },
        attributes={
            "марка автомобиля": ("Volkswagen", "Kia", "Hyundai", "Skoda", "Toyota"),
            "ось": ("передняя", "задняя"),
        },
        title_attributes=("марка автомобиля",),
        price_range=(1200, 9000),
        shape="box",
        extra_words=("комплект", "оригинальный номер", "в наличии"),
    ),
    ProductType(
        key="motor_oil",
        category_path=("Автотовары", "Масла и автохимия", "Моторные масла"),
        nouns=("Моторное масло", "Масло моторное", "Масло синтетическое"),
        gender="n",
        brands={
            "Castrol": ("Edge 5W-30", "Magnatec 5W-40"),
            "Mobil": ("Super 3000 5W-40", "1 0W-20"),
            "Shell": ("Helix HX8 5W-30", "Helix Ultra 0W-40"),
        },
        attributes={"объём": ("1 л", "4 л", "5 л"), "тип": ("синтетическое", "полусинтетическое")},
        title_attributes=("объём",),
        price_range=(700, 6000),
        shape="bottle",
        extra_words=("канистра", "оригинал", "допуск VW"),
    ),
    ProductType(
        key="lego",
        category_path=("Детские товары", "Игрушки", "Конструкторы"),
        nouns=("Конструктор", "Набор конструктора", "Конструктор детский"),
        gender="m",
        brands={
            "LEGO": ("City 60337", "Technic 42115", "Friends 41704", "Star Wars 75257"),
            "Cobi": ("Tank 2533", "Ship 4830"),
        },
        attributes={
            "возраст": ("4+", "6+", "8+", "12+"),
            "количество деталей": ("250", "500", "1200"),
        },
        title_attributes=(),
        price_range=(1500, 30000),
        shape="box",
        extra_words=("запечатан", "в коробке", "подарок"),
    ),
    ProductType(
        key="stroller",
        category_path=("Детские товары", "Коляски и автокресла", "Коляски"),
        nouns=("Коляска", "Детская коляска", "Прогулочная коляска"),
        gender="f",
        brands={
            "Cybex": ("Balios S", "Eezy S Twist"),
            "Chicco": ("Goody Plus", "Trio Activ3"),
            "Yoya": ("Plus Max", "Pro"),
        },
        attributes={
            "цвет": ("серый", "черный", "бежевый", "синий"),
            "тип": ("2 в 1", "прогулочная"),
        },
        title_attributes=("цвет",),
        price_range=(5000, 60000),
        shape="ellipse",
        extra_words=("легкая", "складная", "все колеса"),
    ),
    ProductType(
        key="drill",
        category_path=("Инструменты", "Электроинструменты", "Дрели и шуруповерты"),
        nouns=("Дрель-шуруповерт", "Шуруповерт", "Аккумуляторная дрель"),
        gender="m",
        brands={
            "Bosch": ("GSR 120-LI", "PSR 1800 LI-2", "GSB 18V-55"),
            "Makita": ("DF333DWYE", "DDF485Z"),
            "Metabo": ("BS 18 L", "PowerMaxx BS"),
        },
        attributes={"напряжение": ("12 В", "18 В"), "аккумулятор": ("1 АКБ", "2 АКБ", "без АКБ")},
        title_attributes=("напряжение",),
        price_range=(3000, 25000),
        shape="rect",
        extra_words=("кейс", "зарядка", "гарантия"),
    ),
)

#: (city, region) pairs.
CITIES: tuple[tuple[str, str], ...] = (
    ("Москва", "Москва"),
    ("Санкт-Петербург", "Санкт-Петербург"),
    ("Казань", "Республика Татарстан"),
    ("Набережные Челны", "Республика Татарстан"),
    ("Новосибирск", "Новосибирская область"),
    ("Екатеринбург", "Свердловская область"),
    ("Нижний Новгород", "Нижегородская область"),
    ("Краснодар", "Краснодарский край"),
    ("Самара", "Самарская область"),
    ("Ростов-на-Дону", "Ростовская область"),
)

#: Description building blocks; one is picked per slot, so duplicates re-word them.
DESCRIPTION_OPENERS = (
    "Продаю: {noun} {brand} {model}.",
    "В продаже {noun} {brand} {model}.",
    "Объявление: {noun} {brand} {model}.",
    "Предлагаю {brand} {model} ({noun}).",
)
DESCRIPTION_CONDITION = (
    "Состояние отличное, без царапин.",
    "Товар новый, в заводской упаковке.",
    "Пользовались аккуратно, все работает.",
    "Полностью рабочий, проверен.",
)
DESCRIPTION_DELIVERY = (
    "Возможна доставка по городу.",
    "Отправлю почтой или транспортной компанией.",
    "Самовывоз от метро, торг уместен.",
    "Звоните или пишите в сообщения.",
)
