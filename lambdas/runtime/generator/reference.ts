/**
 * Reference data of the sample domain: where customers live, how their names, phones and e-mail
 * providers look there, what the shop sells, and the currencies it prices in. Plain data, so a
 * reader can check the realism of the generated rows against one page.
 */

/** The entries of a comma-separated list: keeps long reference lists readable on one line. */
function items(list: string): readonly string[] {
  return list.split(', ');
}

export const CURRENCIES = ['USD', 'EUR', 'GBP', 'JPY', 'CAD', 'AUD', 'CHF', 'SEK', 'INR'] as const;
export type Currency = (typeof CURRENCIES)[number];

/** Quote currencies of the FX feed: units per 1 USD at the start of the series, and daily volatility. */
export const FX_QUOTES: readonly {
  currency: Currency;
  startRate: number;
  dailyVolatility: number;
}[] = [
  { currency: 'EUR', startRate: 0.92, dailyVolatility: 0.004 },
  { currency: 'GBP', startRate: 0.79, dailyVolatility: 0.0045 },
  { currency: 'JPY', startRate: 149.5, dailyVolatility: 0.006 },
  { currency: 'CAD', startRate: 1.36, dailyVolatility: 0.0035 },
  { currency: 'AUD', startRate: 1.52, dailyVolatility: 0.005 },
  { currency: 'CHF', startRate: 0.88, dailyVolatility: 0.004 },
  { currency: 'SEK', startRate: 10.6, dailyVolatility: 0.005 },
  { currency: 'INR', startRate: 83.2, dailyVolatility: 0.002 },
];

/** Currency codes that exist nowhere: the dirt silver must quarantine. */
export const UNKNOWN_CURRENCIES = ['XXX', 'ZZZ'] as const;

export type NameLocale = 'en' | 'de' | 'fr' | 'es' | 'it' | 'nl' | 'ja' | 'sv' | 'hi';

/** An area (or mobile) prefix without trunk, and the digit groups of the numbers behind it. */
export interface PhoneArea {
  readonly code: string;
  readonly groups: readonly number[];
}

/**
 * How phone numbers are written in a country: trunk prefix, areas, and separators.
 * `parenthesizedArea` gives `(415) 555-0134`.
 */
export interface PhonePlan {
  readonly callingCode: string;
  readonly trunkPrefix: string;
  /** Italy dials the leading 0 even from abroad. */
  readonly keepsTrunkAbroad: boolean;
  readonly areas: readonly PhoneArea[];
  readonly areaSeparator: string;
  readonly groupSeparator: string;
  readonly parenthesizedArea: boolean;
}

export interface Country {
  readonly code: string;
  readonly alpha3: string;
  readonly name: string;
  readonly currency: Currency;
  /** Share of the shop's customers. */
  readonly customerWeight: number;
  readonly locale: NameLocale;
  readonly cities: readonly string[];
  readonly emailDomains: readonly string[];
  readonly phone: PhonePlan;
  /** Legal-form suffixes of company names (CRM accounts). */
  readonly companySuffixes: readonly string[];
  readonly topLevelDomain: string;
}

/** Areas sharing one digit grouping. */
function areas(groups: readonly number[], ...codes: string[]): PhoneArea[] {
  return codes.map((code) => ({ code, groups }));
}

function plan(
  callingCode: string,
  trunkPrefix: string,
  phoneAreas: readonly PhoneArea[],
  style: Partial<
    Pick<PhonePlan, 'areaSeparator' | 'groupSeparator' | 'parenthesizedArea' | 'keepsTrunkAbroad'>
  > = {},
): PhonePlan {
  return {
    callingCode,
    trunkPrefix,
    areas: phoneAreas,
    areaSeparator: style.areaSeparator ?? ' ',
    groupSeparator: style.groupSeparator ?? ' ',
    parenthesizedArea: style.parenthesizedArea ?? false,
    keepsTrunkAbroad: style.keepsTrunkAbroad ?? false,
  };
}

const GLOBAL_MAIL = ['gmail.com', 'outlook.com', 'yahoo.com', 'icloud.com', 'hotmail.com'];

export const COUNTRIES: readonly Country[] = [
  {
    code: 'US',
    alpha3: 'USA',
    name: 'United States',
    currency: 'USD',
    customerWeight: 35,
    locale: 'en',
    cities: items(
      'New York, Los Angeles, Chicago, Houston, Seattle, Boston, Austin, Denver, Atlanta, San Francisco',
    ),
    emailDomains: [...GLOBAL_MAIL, 'aol.com', 'comcast.net'],
    phone: plan(
      '1',
      '',
      areas([3, 4], '212', '415', '312', '713', '206', '617', '512', '303', '404', '646'),
      {
        parenthesizedArea: true,
        groupSeparator: '-',
      },
    ),
    companySuffixes: ['Inc.', 'LLC', 'Corp.'],
    topLevelDomain: 'com',
  },
  {
    code: 'GB',
    alpha3: 'GBR',
    name: 'United Kingdom',
    currency: 'GBP',
    customerWeight: 12,
    locale: 'en',
    cities: items('London, Manchester, Birmingham, Leeds, Glasgow, Bristol, Edinburgh, Liverpool'),
    emailDomains: [...GLOBAL_MAIL, 'btinternet.com', 'hotmail.co.uk', 'sky.com'],
    phone: plan('44', '0', [
      ...areas([4, 4], '20'),
      ...areas([3, 4], '161', '121', '113', '141', '117'),
      ...areas([6], '7700', '7911'),
    ]),
    companySuffixes: ['Ltd', 'plc'],
    topLevelDomain: 'co.uk',
  },
  {
    code: 'DE',
    alpha3: 'DEU',
    name: 'Germany',
    currency: 'EUR',
    customerWeight: 10,
    locale: 'de',
    cities: items(
      'Berlin, München, Hamburg, Köln, Frankfurt am Main, Stuttgart, Düsseldorf, Leipzig',
    ),
    emailDomains: ['gmx.de', 'web.de', 't-online.de', 'gmail.com', 'outlook.de'],
    phone: plan('49', '0', [
      ...areas([8], '30', '89', '40', '151', '170'),
      ...areas([7], '221', '69', '711'),
    ]),
    companySuffixes: ['GmbH', 'AG', 'GmbH & Co. KG'],
    topLevelDomain: 'de',
  },
  {
    code: 'FR',
    alpha3: 'FRA',
    name: 'France',
    currency: 'EUR',
    customerWeight: 8,
    locale: 'fr',
    cities: ['Paris', 'Lyon', 'Marseille', 'Toulouse', 'Nice', 'Nantes', 'Bordeaux', 'Lille'],
    emailDomains: ['orange.fr', 'free.fr', 'laposte.net', 'gmail.com', 'hotmail.fr'],
    phone: plan('33', '0', areas([2, 2, 2, 2], '1', '4', '5', '6', '7')),
    companySuffixes: ['SAS', 'SA', 'SARL'],
    topLevelDomain: 'fr',
  },
  {
    code: 'ES',
    alpha3: 'ESP',
    name: 'Spain',
    currency: 'EUR',
    customerWeight: 4,
    locale: 'es',
    cities: ['Madrid', 'Barcelona', 'Valencia', 'Sevilla', 'Zaragoza', 'Málaga', 'Bilbao'],
    emailDomains: ['gmail.com', 'hotmail.es', 'yahoo.es', 'telefonica.net'],
    phone: plan('34', '', areas([3, 3], '912', '933', '954', '963', '600', '655', '699')),
    companySuffixes: ['S.L.', 'S.A.'],
    topLevelDomain: 'es',
  },
  {
    code: 'IT',
    alpha3: 'ITA',
    name: 'Italy',
    currency: 'EUR',
    customerWeight: 4,
    locale: 'it',
    cities: ['Roma', 'Milano', 'Napoli', 'Torino', 'Bologna', 'Firenze', 'Genova'],
    emailDomains: ['libero.it', 'gmail.com', 'virgilio.it', 'alice.it', 'hotmail.it'],
    phone: plan('39', '0', [...areas([4, 4], '6', '2'), ...areas([3, 4], '81', '11', '51', '55')], {
      keepsTrunkAbroad: true,
    }),
    companySuffixes: ['S.r.l.', 'S.p.A.'],
    topLevelDomain: 'it',
  },
  {
    code: 'NL',
    alpha3: 'NLD',
    name: 'Netherlands',
    currency: 'EUR',
    customerWeight: 3,
    locale: 'nl',
    cities: ['Amsterdam', 'Rotterdam', 'Den Haag', 'Utrecht', 'Eindhoven', 'Groningen'],
    emailDomains: ['gmail.com', 'ziggo.nl', 'kpnmail.nl', 'hotmail.nl', 'outlook.com'],
    phone: plan('31', '0', [...areas([3, 4], '20', '10', '70', '30', '40'), ...areas([8], '6')]),
    companySuffixes: ['B.V.', 'N.V.'],
    topLevelDomain: 'nl',
  },
  {
    code: 'JP',
    alpha3: 'JPN',
    name: 'Japan',
    currency: 'JPY',
    customerWeight: 7,
    locale: 'ja',
    cities: ['Tokyo', 'Osaka', 'Yokohama', 'Nagoya', 'Sapporo', 'Fukuoka', 'Kyoto', 'Kobe'],
    emailDomains: ['yahoo.co.jp', 'gmail.com', 'docomo.ne.jp', 'ezweb.ne.jp', 'nifty.com'],
    phone: plan('81', '0', [...areas([4, 4], '3', '6', '90', '80'), ...areas([3, 4], '45', '52')], {
      areaSeparator: '-',
      groupSeparator: '-',
    }),
    companySuffixes: ['K.K.', 'Co., Ltd.'],
    topLevelDomain: 'co.jp',
  },
  {
    code: 'CA',
    alpha3: 'CAN',
    name: 'Canada',
    currency: 'CAD',
    customerWeight: 6,
    locale: 'en',
    cities: ['Toronto', 'Montréal', 'Vancouver', 'Calgary', 'Ottawa', 'Edmonton', 'Winnipeg'],
    emailDomains: [...GLOBAL_MAIL, 'shaw.ca', 'rogers.com'],
    phone: plan('1', '', areas([3, 4], '416', '604', '514', '403', '613', '780', '204'), {
      parenthesizedArea: true,
      groupSeparator: '-',
    }),
    companySuffixes: ['Inc.', 'Ltd.'],
    topLevelDomain: 'ca',
  },
  {
    code: 'AU',
    alpha3: 'AUS',
    name: 'Australia',
    currency: 'AUD',
    customerWeight: 4,
    locale: 'en',
    cities: ['Sydney', 'Melbourne', 'Brisbane', 'Perth', 'Adelaide', 'Canberra'],
    emailDomains: [...GLOBAL_MAIL, 'bigpond.com', 'optusnet.com.au'],
    phone: plan('61', '0', areas([4, 4], '2', '3', '7', '8'), { parenthesizedArea: true }),
    companySuffixes: ['Pty Ltd'],
    topLevelDomain: 'com.au',
  },
  {
    code: 'CH',
    alpha3: 'CHE',
    name: 'Switzerland',
    currency: 'CHF',
    customerWeight: 2,
    locale: 'de',
    cities: ['Zürich', 'Genève', 'Basel', 'Bern', 'Lausanne', 'Luzern'],
    emailDomains: ['bluewin.ch', 'gmx.ch', 'gmail.com', 'hispeed.ch'],
    phone: plan('41', '0', areas([3, 2, 2], '44', '22', '61', '31', '21', '79')),
    companySuffixes: ['AG', 'SA', 'GmbH'],
    topLevelDomain: 'ch',
  },
  {
    code: 'SE',
    alpha3: 'SWE',
    name: 'Sweden',
    currency: 'SEK',
    customerWeight: 2,
    locale: 'sv',
    cities: ['Stockholm', 'Göteborg', 'Malmö', 'Uppsala', 'Västerås', 'Örebro'],
    emailDomains: ['gmail.com', 'telia.com', 'hotmail.se', 'outlook.com'],
    phone: plan(
      '46',
      '0',
      [...areas([3, 3, 2], '8'), ...areas([3, 2, 2], '31', '40', '18', '70')],
      {
        areaSeparator: '-',
      },
    ),
    companySuffixes: ['AB'],
    topLevelDomain: 'se',
  },
  {
    code: 'IN',
    alpha3: 'IND',
    name: 'India',
    currency: 'INR',
    customerWeight: 3,
    locale: 'hi',
    cities: ['Mumbai', 'Delhi', 'Bengaluru', 'Hyderabad', 'Chennai', 'Pune', 'Kolkata'],
    emailDomains: ['gmail.com', 'rediffmail.com', 'yahoo.co.in', 'outlook.com'],
    phone: plan('91', '0', areas([3, 5], '98', '99', '97', '90', '88', '70'), {
      areaSeparator: '',
    }),
    companySuffixes: ['Pvt Ltd', 'Ltd'],
    topLevelDomain: 'in',
  },
];

/** Spellings of places that are no country: the `country` dirt. */
export const UNKNOWN_COUNTRIES = ['Atlantis', 'Narnia', 'El Dorado', 'ZZ'];

export const FIRST_NAMES: Record<NameLocale, readonly string[]> = {
  en: items(
    'James, Mary, John, Patricia, Robert, Jennifer, Michael, Linda, David, Emily, Daniel, Sarah, Thomas, Jessica, Olivia, Liam, Emma, Noah, Chloe, Jane',
  ),
  de: items(
    'Lukas, Anna, Felix, Lea, Jonas, Hannah, Maximilian, Sophie, Paul, Marie, Leon, Laura, Jürgen, Sabine, Klaus, Katrin',
  ),
  fr: items(
    'Louis, Camille, Hugo, Léa, Jules, Manon, Gabriel, Chloé, Arthur, Inès, Lucas, Élodie, Mathis, Sarah, Théo, Céline',
  ),
  es: items(
    'Hugo, Lucía, Martín, Sofía, Pablo, María, Alejandro, Paula, Daniel, Carmen, Javier, Elena, Sergio, Laura, José, Inés',
  ),
  it: items(
    'Leonardo, Giulia, Francesco, Sofia, Alessandro, Aurora, Lorenzo, Alice, Matteo, Chiara, Andrea, Francesca, Marco, Elena, Luca, Martina',
  ),
  nl: items(
    'Daan, Emma, Sem, Julia, Lucas, Mila, Levi, Tess, Finn, Sophie, Jesse, Anouk, Bram, Fleur, Thijs, Sanne',
  ),
  ja: items(
    'Haruto, Yui, Sota, Aoi, Yuto, Sakura, Riku, Hina, Takumi, Yuna, Kenji, Akiko, Hiroshi, Yuki, Daiki, Mei',
  ),
  sv: items(
    'Erik, Maja, Lars, Elsa, Oskar, Astrid, Nils, Ingrid, Axel, Saga, Johan, Linnea, Björn, Karin, Gustav, Sofia',
  ),
  hi: items(
    'Aarav, Ananya, Vivaan, Diya, Aditya, Priya, Arjun, Isha, Rohan, Kavya, Rahul, Neha, Vikram, Pooja, Sanjay, Meera',
  ),
};

export const LAST_NAMES: Record<NameLocale, readonly string[]> = {
  en: items(
    "Smith, Johnson, Williams, Brown, Jones, Miller, Davis, Wilson, Taylor, Anderson, Thomas, Moore, Martin, Clark, Walker, Hall, Young, O'Brien, Doe, Evans",
  ),
  de: items(
    'Müller, Schmidt, Schneider, Fischer, Weber, Meyer, Wagner, Becker, Schulz, Hoffmann, Koch, Richter, Klein, Wolf, Schröder, Neumann',
  ),
  fr: items(
    'Martin, Bernard, Dubois, Thomas, Robert, Richard, Petit, Durand, Leroy, Moreau, Simon, Laurent, Lefèvre, Michel, Garcia, Fournier',
  ),
  es: items(
    'García, Rodríguez, González, Fernández, López, Martínez, Sánchez, Pérez, Gómez, Martín, Jiménez, Ruiz, Hernández, Díaz, Moreno, Muñoz',
  ),
  it: items(
    'Rossi, Russo, Ferrari, Esposito, Bianchi, Romano, Colombo, Ricci, Marino, Greco, Bruno, Gallo, Conti, De Luca, Costa, Giordano',
  ),
  nl: items(
    'de Jong, Jansen, de Vries, van den Berg, van Dijk, Bakker, Janssen, Visser, Smit, Meijer, de Boer, Mulder, de Groot, Bos, Vos, Peters',
  ),
  ja: items(
    'Sato, Suzuki, Takahashi, Tanaka, Watanabe, Ito, Yamamoto, Nakamura, Kobayashi, Kato, Yoshida, Yamada, Sasaki, Yamaguchi, Matsumoto, Inoue',
  ),
  sv: items(
    'Andersson, Johansson, Karlsson, Nilsson, Eriksson, Larsson, Olsson, Persson, Svensson, Gustafsson, Pettersson, Jonsson, Lindberg, Lindström, Berg, Åberg',
  ),
  hi: items(
    'Sharma, Patel, Singh, Kumar, Gupta, Reddy, Iyer, Nair, Mehta, Joshi, Rao, Verma, Das, Chopra, Bose, Kapoor',
  ),
};

export const CUSTOMER_SEGMENTS = ['consumer', 'smb', 'enterprise'] as const;
export type CustomerSegment = (typeof CUSTOMER_SEGMENTS)[number];

export interface ProductCategory {
  readonly name: string;
  readonly skuPrefix: string;
  readonly minPriceUsd: number;
  readonly maxPriceUsd: number;
  readonly items: readonly string[];
}

export const PRODUCT_CATEGORIES: readonly ProductCategory[] = [
  {
    name: 'Electronics',
    skuPrefix: 'ELE',
    minPriceUsd: 15,
    maxPriceUsd: 1200,
    items: items(
      'Wireless Earbuds, Bluetooth Speaker, USB-C Charger, Smartwatch, Noise-Cancelling Headphones, 27" Monitor, Mechanical Keyboard, Webcam, Portable SSD, E-Reader',
    ),
  },
  {
    name: 'Home & Kitchen',
    skuPrefix: 'HOM',
    minPriceUsd: 8,
    maxPriceUsd: 400,
    items: items(
      "Chef's Knife, Coffee Grinder, Cast Iron Skillet, Blender, Bath Towel Set, Table Lamp, Espresso Machine, Storage Baskets, Duvet Cover, Kettle",
    ),
  },
  {
    name: 'Sports & Outdoors',
    skuPrefix: 'SPO',
    minPriceUsd: 10,
    maxPriceUsd: 600,
    items: items(
      'Yoga Mat, Running Shoes, Camping Tent, Water Bottle, Cycling Helmet, Dumbbell Set, Hiking Backpack, Tennis Racket',
    ),
  },
  {
    name: 'Apparel',
    skuPrefix: 'APP',
    minPriceUsd: 9,
    maxPriceUsd: 250,
    items: items(
      'Cotton T-Shirt, Denim Jacket, Wool Sweater, Rain Coat, Chino Trousers, Leather Belt, Sneakers, Beanie',
    ),
  },
  {
    name: 'Beauty',
    skuPrefix: 'BEA',
    minPriceUsd: 5,
    maxPriceUsd: 120,
    items: items(
      'Face Serum, Shampoo, Hand Cream, Lip Balm, Perfume, Sunscreen SPF 50, Hair Dryer, Electric Toothbrush',
    ),
  },
  {
    name: 'Books',
    skuPrefix: 'BOO',
    minPriceUsd: 6,
    maxPriceUsd: 60,
    items: items(
      "Cookbook, Travel Guide, Mystery Novel, Science Fiction Novel, Children's Picture Book, Biography, Notebook Planner",
    ),
  },
  {
    name: 'Toys & Games',
    skuPrefix: 'TOY',
    minPriceUsd: 7,
    maxPriceUsd: 150,
    items: items(
      'Building Blocks, Board Game, Jigsaw Puzzle, Plush Bear, Remote Control Car, Card Game, Wooden Train Set',
    ),
  },
  {
    name: 'Garden',
    skuPrefix: 'GAR',
    minPriceUsd: 6,
    maxPriceUsd: 500,
    items: items(
      'Garden Hose, Pruning Shears, Plant Pot, Solar Lights, Lawn Mower, Bird Feeder, Seed Starter Kit',
    ),
  },
  {
    name: 'Office',
    skuPrefix: 'OFF',
    minPriceUsd: 4,
    maxPriceUsd: 700,
    items: items(
      'Desk Chair, Standing Desk, Fountain Pen, Paper Shredder, Desk Organizer, Label Printer, Monitor Arm',
    ),
  },
];

export const PRODUCT_BRANDS = items(
  'Aurora, Nordic, Summit, Urban, Classic, Evergreen, Prime, Vista, Atlas, Zen, Apex, Lumen, Harbor, Cedar',
);
/** Suffixes of product names; most products have none. */
export const PRODUCT_VARIANTS = [
  '',
  '',
  '',
  ' Pro',
  ' Mini',
  ' Max',
  ' 2',
  ' Lite',
  ' - Black',
  ' - White',
  ' - Blue',
  ' XL',
];

export const INDUSTRIES = items(
  'retail, manufacturing, software, healthcare, financial services, logistics, hospitality, education, media, energy',
);
export const COMPANY_WORDS_FIRST = items(
  'North, Blue, Silver, Green, Bright, Iron, Red, Golden, Swift, Crystal, Pacific, Alpine, Summit, Harbor, Sterling, Oak',
);
export const COMPANY_WORDS_SECOND = items(
  'wind, field, stone, bridge, river, point, gate, line, works, peak, wave, brook',
);
export const COMPANY_WORDS_THIRD = items(
  'Traders, Systems, Logistics, Foods, Partners, Industries, Labs, Retail, Health, Media, Energy, Supply',
);

export const JOB_TITLES = items(
  'Procurement Manager, Head of Purchasing, Office Manager, CFO, Operations Director, Buyer, IT Manager, CEO, Facilities Coordinator, Category Manager, Accounts Payable Specialist',
);

/** The shop's own account managers, owners of CRM accounts. */
export const ACCOUNT_OWNERS = items(
  'anna.becker, david.okafor, emma.lindqvist, hiroshi.tanaka, laura.garcia, marc.dubois, priya.raman, tom.fletcher',
).map((name) => `${name}@medallion-retail.com`);

export const OPPORTUNITY_STAGES = [
  'prospecting',
  'qualification',
  'proposal',
  'negotiation',
  'closed_won',
  'closed_lost',
] as const;
export type OpportunityStage = (typeof OPPORTUNITY_STAGES)[number];

export const ORDER_STATUSES = ['placed', 'paid', 'shipped', 'delivered', 'cancelled'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];
export const ORDER_CHANNELS = ['web', 'mobile', 'store'] as const;
export type OrderChannel = (typeof ORDER_CHANNELS)[number];
export const DEVICES = ['desktop', 'mobile', 'tablet'] as const;
