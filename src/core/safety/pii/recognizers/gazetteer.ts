/**
 * Embedded dictionaries for the name recognizers: common given names across the largest language
 * communities (US SSA, UK ONS, INSEE, Destatis, INE and Indian, Chinese, Arabic, Slavic and
 * African romanized lists, top entries only), honorifics, and a gazetteer of countries and major
 * cities. Compact by design: a few kB, no model. Recall on names outside these lists depends on
 * titles and context words, which docs/safety.md states with the measured numbers.
 */

const words = (s: string): string[] => s.trim().split(/\s+/);

export const FIRST_NAMES: ReadonlySet<string> = new Set(
  words(`
  James John Robert Michael William David Richard Joseph Thomas Charles Christopher Daniel Matthew Anthony
  Donald Steven Paul Andrew Joshua Kenneth Kevin Brian George Timothy Ronald Edward Jason Jeffrey Ryan Jacob
  Gary Nicholas Eric Jonathan Stephen Larry Justin Scott Brandon Benjamin Samuel Gregory Alexander Patrick
  Raymond Dennis Tyler Aaron Jerry Henry Douglas Peter Adam Nathan Zachary Walter Kyle Harold Carl Jeremy
  Keith Roger Gerald Ethan Arthur Terry Christian Sean Lawrence Austin Joe Noah Jesse Albert Bryan Billy Bruce
  Willie Jordan Dylan Alan Ralph Gabriel Roy Juan Wayne Eugene Logan Randy Louis Russell Vincent Philip Bobby
  Johnny Bradley Liam Oliver Lucas Mason Elijah Aiden Sebastian Leo Owen Julian Hugo Oscar Harry Jack Charlie
  Alfie Freddie Archie Theo Arlo Luca Mateo Felix Max Finn Jonas Elias Paul Lukas Leon Ben Luis Moritz Emil
  Anton Matteo Lorenzo Giovanni Francesco Alessandro Marco Andrea Giuseppe Antonio Pablo Alejandro Javier
  Carlos Miguel Diego Manuel Jorge Sergio Fernando Rafael Pedro Jose Luis Ricardo Eduardo Andres Mohamed
  Mohammed Muhammad Ahmed Ali Omar Hassan Hussein Youssef Ibrahim Khalid Mustafa Tariq Karim Rahul Amit Arjun
  Vikram Rohan Sanjay Raj Ravi Anil Suresh Ramesh Vijay Wei Jun Hao Lei Ming Jian Yong Hiroshi Takeshi
  Kenji Yuki Haruto Sota Minho Jiho Seojun Ivan Dmitri Sergei Alexei Nikolai Andrei Mikhail Vladimir Pavel
  Piotr Tomasz Krzysztof Jakub Jan Pieter Sven Lars Erik Magnus Nils Olaf Bjorn Kwame Kofi Chinedu Emeka Tunde
  Oluwaseun Sipho Thabo Tendai Jamal Malik Darnell Tyrone DeShawn Andre Marcus Derek Victor Martin Hans Klaus
  Jurgen Stefan Wolfgang Dieter Pierre Jean Jacques Michel Philippe Francois Nicolas Antoine Julien Mathieu
  Mary Patricia Jennifer Linda Elizabeth Barbara Susan Jessica Sarah Karen Lisa Nancy Betty Margaret Sandra
  Ashley Kimberly Emily Donna Michelle Carol Amanda Dorothy Melissa Deborah Stephanie Rebecca Sharon Laura
  Cynthia Kathleen Amy Angela Shirley Anna Brenda Pamela Emma Nicole Helen Samantha Katherine Christine Debra
  Rachel Carolyn Janet Catherine Maria Heather Diane Ruth Julie Olivia Joyce Virginia Victoria Kelly Lauren
  Christina Joan Evelyn Judith Megan Andrea Cheryl Hannah Jacqueline Martha Gloria Teresa Ann Sara Madison
  Frances Kathryn Janice Jean Abigail Alice Judy Sophia Julia Beverly Denise Marilyn Amber Danielle Theresa
  Diana Natalie Brittany Charlotte Marie Kayla Alexis Lori Ava Mia Isabella Amelia Harper Ella Chloe Lily
  Zoe Nora Layla Aria Ellie Isla Freya Poppy Evie Florence Sienna Matilda Sofia Lea Leonie Lena Klara Marie
  Johanna Giulia Chiara Francesca Alessia Martina Lucia Paula Carmen Elena Isabel Ana Laura Camila Valentina
  Fatima Aisha Mariam Zainab Layla Noor Salma Yasmin Priya Ananya Aditi Deepa Lakshmi Sunita Pooja Neha Divya
  Mei Xiu Ying Fang Li Hua Jing Yan Sakura Yui Aoi Hana Seoyeon Jiwoo Olga Natalia Svetlana Irina Tatiana
  Anastasia Ekaterina Agnieszka Katarzyna Magdalena Ingrid Astrid Sigrid Amara Chiamaka Ngozi Adaeze Zanele
  Thandiwe Nia Imani Keisha Latoya Tamika Monique Claire Camille Manon Chloe Ines Juliette Louise Sophie
  Margot Nathalie Isabelle Sylvie Brigitte Monika Sabine Petra Ursula
`),
);

/**
 * Given names that are also frequent English words, months or places. Alone they are far more
 * often the word than the name, so they count as a first name only before a surname.
 */
export const AMBIGUOUS_FIRST_NAMES: ReadonlySet<string> = new Set(
  words(`
  Will May June April August Mark Grace Hope Faith Joy Rose Summer Bill Pat Art Sue Jack Frank Chase Dawn Eve
  Amber Ruby Crystal Iris Lily Ivy Jordan Georgia Virginia Austin Paris Sydney Florence Victoria Charlotte
  Madison Brooklyn Dallas Houston Chelsea Adelaide Carolina India Max Lea Ben Jean Noor Li Ali Raj Jan Sean
  Christian Roy Joy Sara Hana Mustafa Carmen Lucia Elena Andrea Felix Leo Victor Martin Marcus Derek Owen
`),
);

export const TITLES: ReadonlySet<string> = new Set(
  words(
    'Mr Mrs Ms Miss Mx Dr Prof Professor Sir Dame Madam Mme Mlle Herr Frau Señor Señora Sr Sra Dott Rev Capt',
  ),
);

/** Capitalised words that follow a given name without being a surname. */
export const NOT_SURNAMES: ReadonlySet<string> = new Set(
  words(`
  Street St Avenue Ave Road Rd Lane Boulevard Drive Square Park Bridge Station Airport Hospital University
  College School Bank Company Inc Ltd LLC GmbH Corp Group Day Night Morning Evening Monday Tuesday Wednesday
  Thursday Friday Saturday Sunday January February March April May June July August September October
  November December Christmas Easter The And Or Of In On At For To From With Is Was Will Has Have Had Can Could
  Should Would Must Please Thanks Thank Hello Hi Dear Regards I We You He She They It This That These Those
  Team Support Service Services Center Centre Hall Office Department Museum Church Hotel Restaurant Club
`),
);

export const SURNAME_PARTICLES: ReadonlySet<string> = new Set(
  words('van von de da del della der den di du le la bin bint al el ter ten dos das'),
);

/** Countries (short English names) and major cities; multi-word entries are matched as phrases. */
export const LOCATIONS: readonly string[] = `
Afghanistan|Albania|Algeria|Andorra|Angola|Argentina|Armenia|Australia|Austria|Azerbaijan|Bahamas|Bahrain|
Bangladesh|Barbados|Belarus|Belgium|Belize|Benin|Bhutan|Bolivia|Bosnia and Herzegovina|Botswana|Brazil|Brunei|
Bulgaria|Burkina Faso|Burundi|Cambodia|Cameroon|Canada|Cape Verde|Central African Republic|Chad|Chile|China|
Colombia|Comoros|Congo|Costa Rica|Croatia|Cuba|Cyprus|Czech Republic|Czechia|Denmark|Djibouti|Dominica|
Dominican Republic|Ecuador|Egypt|El Salvador|Eritrea|Estonia|Eswatini|Ethiopia|Fiji|Finland|France|Gabon|Gambia|
Georgia|Germany|Ghana|Greece|Grenada|Guatemala|Guinea|Guyana|Haiti|Honduras|Hungary|Iceland|India|Indonesia|
Iran|Iraq|Ireland|Israel|Italy|Ivory Coast|Jamaica|Japan|Jordan|Kazakhstan|Kenya|Kiribati|Kosovo|Kuwait|
Kyrgyzstan|Laos|Latvia|Lebanon|Lesotho|Liberia|Libya|Liechtenstein|Lithuania|Luxembourg|Madagascar|Malawi|
Malaysia|Maldives|Mali|Malta|Mauritania|Mauritius|Mexico|Moldova|Monaco|Mongolia|Montenegro|Morocco|Mozambique|
Myanmar|Namibia|Nepal|Netherlands|New Zealand|Nicaragua|Niger|Nigeria|North Korea|North Macedonia|Norway|Oman|
Pakistan|Palestine|Panama|Papua New Guinea|Paraguay|Peru|Philippines|Poland|Portugal|Qatar|Romania|Russia|
Rwanda|Saudi Arabia|Senegal|Serbia|Seychelles|Sierra Leone|Singapore|Slovakia|Slovenia|Somalia|South Africa|
South Korea|South Sudan|Spain|Sri Lanka|Sudan|Suriname|Sweden|Switzerland|Syria|Taiwan|Tajikistan|Tanzania|
Thailand|Togo|Tonga|Trinidad and Tobago|Tunisia|Turkey|Türkiye|Turkmenistan|Uganda|Ukraine|United Arab Emirates|
United Kingdom|United States|United States of America|Uruguay|Uzbekistan|Vanuatu|Venezuela|Vietnam|Yemen|Zambia|
Zimbabwe|England|Scotland|Wales|Northern Ireland|
Tokyo|Delhi|New Delhi|Shanghai|São Paulo|Sao Paulo|Mexico City|Cairo|Mumbai|Beijing|Dhaka|Osaka|New York|
New York City|Karachi|Buenos Aires|Chongqing|Istanbul|Kolkata|Manila|Lagos|Rio de Janeiro|Tianjin|Kinshasa|
Guangzhou|Los Angeles|Moscow|Shenzhen|Lahore|Bangalore|Bengaluru|Paris|Bogotá|Bogota|Jakarta|Chennai|Lima|
Bangkok|Seoul|Nagoya|Hyderabad|London|Tehran|Chicago|Chengdu|Nanjing|Wuhan|Ho Chi Minh City|Luanda|Ahmedabad|
Kuala Lumpur|Hong Kong|Hangzhou|Riyadh|Baghdad|Santiago|Surat|Madrid|Pune|Houston|Dallas|Toronto|Dar es Salaam|
Miami|Belo Horizonte|Singapore|Philadelphia|Atlanta|Fukuoka|Khartoum|Barcelona|Johannesburg|Saint Petersburg|
St Petersburg|Dalian|Washington|Yangon|Alexandria|Guadalajara|Ankara|Melbourne|Sydney|Abidjan|Boston|Monterrey|
Phoenix|Nairobi|Hanoi|Cape Town|Durban|Casablanca|Rome|Berlin|Hamburg|Munich|Frankfurt|Cologne|Stuttgart|
Düsseldorf|Vienna|Zurich|Zürich|Geneva|Basel|Bern|Brussels|Antwerp|Amsterdam|Rotterdam|The Hague|Utrecht|
Copenhagen|Stockholm|Gothenburg|Oslo|Helsinki|Reykjavik|Dublin|Cork|Edinburgh|Glasgow|Manchester|Birmingham|
Liverpool|Leeds|Bristol|Cardiff|Belfast|Lisbon|Porto|Seville|Valencia|Bilbao|Milan|Naples|Turin|Florence|
Venice|Bologna|Athens|Thessaloniki|Warsaw|Krakow|Kraków|Prague|Budapest|Bucharest|Sofia|Belgrade|Zagreb|
Ljubljana|Bratislava|Kyiv|Kiev|Minsk|Riga|Vilnius|Tallinn|Lyon|Marseille|Toulouse|Nice|Bordeaux|Lille|
Strasbourg|Nantes|San Francisco|San Diego|San Jose|Seattle|Portland|Denver|Austin|Detroit|Minneapolis|
Las Vegas|Baltimore|Pittsburgh|Cleveland|Nashville|New Orleans|Orlando|Tampa|Charlotte|Salt Lake City|
Sacramento|Montreal|Montréal|Vancouver|Calgary|Ottawa|Quebec City|Brisbane|Perth|Adelaide|Auckland|
Wellington|Dubai|Abu Dhabi|Doha|Kuwait City|Muscat|Amman|Beirut|Jerusalem|Tel Aviv|Damascus|Tunis|Algiers|
Accra|Addis Ababa|Dakar|Kampala|Kigali|Harare|Lusaka|Maputo|Windhoek|Gaborone|Kathmandu|Colombo|Islamabad|
Kabul|Tashkent|Almaty|Baku|Tbilisi|Yerevan|Taipei|Kyoto|Yokohama|Sapporo|Busan|Manila|Cebu|Havana|Caracas|
Quito|La Paz|Montevideo|Asunción|Panama City|San Juan|Kingston|Medellín|Medellin|Cali|Recife|Brasília|Brasilia|
Salvador|Fortaleza|Curitiba|Porto Alegre|Valparaíso|Cusco|Puebla|Tijuana|Cancún|Cancun
`
  .split('|')
  .map((s) => s.trim())
  .filter(Boolean);

/**
 * Place names that are also common words or given names. They count as a location only after a
 * locative preposition ("in Nice", "from Jordan"), else they score below the threshold.
 */
export const AMBIGUOUS_LOCATIONS: ReadonlySet<string> = new Set([
  'Chad',
  'Turkey',
  'Jordan',
  'Georgia',
  'Guinea',
  'Niger',
  'Nice',
  'Cork',
  'Florence',
  'Sydney',
  'Austin',
  'Charlotte',
  'Adelaide',
  'Paris',
  'Phoenix',
  'Washington',
  'Salvador',
  'Victoria',
  'Dallas',
  'Houston',
  'Santiago',
  'Sofia',
  'Lima',
  'Cali',
  'China',
  'Japan',
  'Kingston',
  'Portland',
  'Wellington',
  'Perth',
  'Dominica',
  'India',
  'Mali',
  'Oman',
  'Bern',
  'Cuba',
  'Peru',
  'Monaco',
  'Malta',
  'Jersey',
  'Orlando',
  'Tampa',
  'Madison',
  'Brooklyn',
  'Chelsea',
  'Virginia',
]);

/** Words after which a capitalised place name is most likely a place. */
export const LOCATIVE_WORDS: ReadonlySet<string> = new Set(
  words(
    'in at from to near via around across outside inside visiting visited toward towards into through of born based lives live living moved',
  ),
);
