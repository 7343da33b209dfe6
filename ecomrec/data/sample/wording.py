"""Varied wording for generated product descriptions, so products of one category differ in text.

Three layers, all drawn from the generator's random stream (deterministic per seed):

* :func:`vary` rewrites a sentence with synonyms (a word in :data:`THESAURUS` is swapped half the time);
* :func:`closer` and :func:`use_sentence` build the closing and "who is it for" sentences from
  parts, so no one sentence pattern repeats across the catalog;
* :func:`detail` adds a sentence of provenance, finish, care or occasion from large pools.
"""
from __future__ import annotations

import re

import numpy as np

# word -> alternatives a copywriter would use instead (same part of speech, same sense in product copy)
_T = """
keeps: holds, maintains, preserves, retains | stays: remains, keeps | easy: simple, effortless, painless, straightforward
quick: fast, speedy, rapid, swift | quickly: fast, rapidly, swiftly, speedily | light: lightweight, featherweight, airy
strong: sturdy, robust, tough, rugged, solid | soft: plush, supple, gentle, silky, velvety | warm: cosy, snug, toasty
comfortable: comfy, cushy, relaxed, pleasant | long: lengthy, extended, prolonged | small: compact, little, petite, tiny
full: entire, whole, complete | day: shift, stretch | every: each, any | holds: carries, stores, takes, contains
built: made, crafted, constructed, engineered | designed: shaped, conceived, styled, created | made: crafted, produced
survives: withstands, endures, outlasts, weathers | protects: guards, shields, safeguards, defends | resists: repels, fights
prevents: stops, blocks, averts, curbs | helps: aids, assists, supports | includes: contains, bundles, packs
fits: suits, matches, sits in | works: operates, functions, runs | makes: creates, produces, yields | takes: needs, uses
cleaning: washing, scrubbing, wiping | clean: spotless, tidy, pristine | dry: arid, moisture-free | wet: damp, soaked, soggy
heavy: hefty, weighty, substantial | thin: slender, slim, fine | thick: dense, chunky, heavy-duty | deep: generous, roomy
high: tall, elevated, lofty | low: shallow, modest | hard: firm, rigid, stiff | smooth: sleek, slick, even, polished
bright: vivid, brilliant, luminous, radiant | quiet: silent, hushed, noiseless, whisper-quiet | loud: powerful, booming
durable: hard-wearing, long-lasting, resilient, enduring | reliable: dependable, trustworthy, steady, consistent
precise: accurate, exact, meticulous | detailed: intricate, thorough, fine-grained | crisp: sharp, clear, clean
rich: full-bodied, deep, intense | fresh: crisp, new, lively | gentle: mild, delicate, soothing, tender | safe: secure
cool: chilled, breezy, fresh | hot: warm, heated, scorching | cold: chilly, icy, frosty, freezing | fast: rapid, brisk
beautifully: elegantly, gracefully, handsomely, attractively | perfectly: flawlessly, ideally, neatly, precisely
daily: everyday, routine, day-to-day | everyday: daily, ordinary, regular | home: house, household, dwelling, flat
travel: trips, journeys, voyages, getaways | outdoors: outside, open air, wilderness, backcountry | office: workplace, desk
family: household, clan, relatives | kids: children, youngsters, little ones | adults: grown-ups | pets: animals, companions
carry: tote, haul, transport, bring | store: stash, keep, stow | stays put: holds firm, stays in place
charge: power up, top up, refuel | charges: powers up, tops up, refuels | battery: cell, power pack
waterproof: watertight, water-repellent, rainproof, weatherproof | breathable: airy, ventilated, well-ventilated
adjustable: customisable, tweakable, flexible, configurable | removable: detachable, separable, swappable
washable: launderable, wipeable, machine-friendly | compact: space-saving, pocketable, petite, trim
padded: cushioned, quilted, upholstered | cushioned: padded, springy, bouncy | slim: sleek, streamlined, trim, svelte
sturdy: solid, robust, stable, stout | simple: plain, uncomplicated, basic, minimal | quiet running: near-silent
popular: favoured, beloved, sought-after, well-liked | thoughtful: considerate, caring, kind, attentive
praise: applaud, commend, rave about, admire | value: worth, bang for the buck, price-to-quality | pick: choice, option, buy
comes: arrives, ships, is delivered | ships: arrives, travels, is delivered | returns: exchanges, refunds
warranty: guarantee, coverage, cover | available: obtainable, on hand, in stock | parts: components, spares, pieces
packaging: wrapping, boxing, parcel | free: complimentary, no-cost, gratis | within: inside, in under
minutes: mins, moments | hours: hrs | years: seasons | seconds: secs, instants
water: moisture, liquid, rain | heat: warmth, high temperatures | wind: gusts, breeze, gales | rain: showers, drizzle, downpours
sound: audio, acoustics, tone | music: songs, tunes, playlists, tracks | video: footage, films, clips
coffee: java, brew, joe | bag: sack, pouch, holdall | box: case, container, crate | bottle: flask, vessel
screen: display, panel | display: screen, panel | camera: lens, shooter | phone: handset, mobile, smartphone
hand: palm, grip | feet: toes, soles | skin: complexion, epidermis | hair: locks, mane, tresses
small spaces: tight corners, studio flats, cramped rooms | long days: marathon days, busy shifts, packed schedules
lasts: endures, keeps going, runs | runs: operates, goes, lasts | fills: packs, loads | folds: collapses, tucks, packs down
grip: traction, purchase, hold | support: backing, bracing, reinforcement | control: command, handling, mastery
comfort: ease, cosiness, relief | protection: defence, shielding, cover | storage: space, capacity, room
feel: touch, handfeel, texture | finish: coating, surface, sheen | colour: shade, hue, tint, tone
leaves: keeps, renders | lets: allows, enables, permits | save: spare, conserve, keep | reach: hit, attain, get to
hidden: concealed, tucked-away, discreet | tidy: neat, orderly, organised | ready: prepared, set, primed
genuine: authentic, real, true | recycled: reclaimed, upcycled, second-life | reusable: refillable, multi-use
premium: high-end, upscale, luxury, top-tier | classic: timeless, traditional, evergreen | new: fresh, latest, brand-new
resistant: proof, tolerant, impervious | certified: approved, accredited, verified, endorsed | tested: trialled, vetted
rechargeable: battery-powered, refillable, cordless | insulated: lined, thermal, heat-trapping | sealed: airtight, closed
steel: alloy, ironwork | metal: alloy, aluminium | plastic: polymer, resin | rubber: silicone, latex | foam: sponge
pocket: pouch, compartment, sleeve | pockets: pouches, compartments, sleeves | strap: band, belt, sling | handle: grip, grab
edges: rims, borders, margins | side: flank, edge | back: rear, reverse | front: face, fore | top: lid, upper
night: evening, dark, overnight | nights: evenings | morning: dawn, sunrise | week: seven days | month: four weeks
quick-release: snap-off, click-free | non-slip: anti-slip, grippy, skid-proof | lightweight: featherlight, airy, portable
foot: sole, step | step: stride, pace | steps: strides, paces | body: frame, chassis, shell | head: top, crown
kitchen: galley, cookhouse | garden: yard, backyard, patio | bedroom: sleeping quarters, boudoir | room: space, area
drink: beverage, sip | food: meals, fare, grub | meals: dishes, plates, suppers | smoothies: shakes, blends, juices
fruit: berries, produce | beans: grounds, kernels | nuts: almonds, pecans, cashews | oil: lubricant, grease
dust: grit, grime, dirt | moisture: humidity, damp, dampness | odours: smells, whiffs, stenches | stains: marks, spills
set: kit, collection, bundle | pack: bundle, multipack, set | pieces: items, parts, elements | tools: implements, utensils
students: learners, pupils, undergraduates | teenagers: teens, adolescents, young people | parents: mums and dads, carers
couples: partners, pairs, twosomes | hikers: walkers, trekkers, ramblers | runners: joggers, sprinters
commuters: travellers, daily riders, passengers | campers: outdoorsy types, glampers | homeowners: householders, residents
cyclists: riders, bikers | gamers: players, esports fans | cooks: chefs, home cooks, foodies | owners: keepers, users
certified: approved, accredited | formulated: blended, developed, devised | rated: graded, certified, classed
sharp: keen, razor-edged, honed | clear: transparent, lucid, limpid | flat: level, even, planar | round: circular
restores: revives, renews, brings back, rebuilds | suction: pulling power, pull, vacuum force | lost: sapped, drained
clogged: blocked, choked, gummed-up | filters: screens, meshes, strainers | swap: replace, change, switch, rotate
best: optimal, peak, top, ideal | results: performance, outcomes, effect | clicks: snaps, slots, locks
timer: countdown, clock | auto-off: automatic shut-off, self-switching | without: minus, free of, sans
machine: appliance, unit, device | cup: mug, beaker | cups: mugs, beakers | size: dimension, fit, scale
age: years, stage | ages: age groups, stages | fans: enthusiasts, devotees, buffs | lovers: aficionados, admirers
recharge: replenish, re-power, juice up | times: cycles, rounds, occasions | replacement: substitute, spare, stand-in
heads: cutters, units | close: smooth, tight, near | drive: traction, propulsion | climbs: scales, clambers, ascends
grass: lawns, turf, meadows | gravel: shingle, scree, loose stone | compartment: section, hold, bay, chamber
swallows: gulps down, takes in, engulfs | gear: kit, equipment, paraphernalia | suspension: shock absorbers, damping
jumps: leaps, hops, bounds | compatible: interoperable, cross-compatible, matching | lines: guides, markings
posture: stance, alignment, bearing | ink: toner, dye | dries: sets, cures | instantly: immediately, at once, in a flash
surface: top, face, skin | yoga: pilates, stretching | main: principal, central, primary | wear: use, wearing
"""
THESAURUS: dict[str, tuple[str, ...]] = {
    k.strip(): tuple(v.strip() for v in vs.split(","))
    for part in _T.replace("\n", "|").split("|") if ":" in part
    for k, vs in [part.split(":", 1)]}

_WORD = re.compile(r"[A-Za-z]+(?:[- ][a-z]+)?")


def vary(rng: np.random.Generator, sentence: str, rate: float = 0.6) -> str:
    """``sentence`` with some words swapped for synonyms (first letter's case kept)."""
    def swap(m: re.Match) -> str:
        word = m.group(0)
        low = word.lower()
        key = low if low in THESAURUS else low.split()[0] if low.split()[0] in THESAURUS else None
        if key is None or rng.random() >= rate:
            return word
        alt = str(rng.choice(THESAURUS[key])) + word[len(key):]
        return alt[0].upper() + alt[1:] if word[0].isupper() else alt
    return _WORD.sub(swap, sentence)


_C_START = ("Backed by", "Covered by", "Protected by", "Sold with", "Supplied with", "Includes", "Comes with",
            "Arrives with", "Bundled with", "Guaranteed by")
_C_TERM = ("a one-year", "a two-year", "a three-year", "a five-year", "a ten-year", "a lifetime", "an 18-month",
           "a 24-month", "a 30-month", "a no-quibble")
_C_KIND = ("warranty", "guarantee", "manufacturer warranty", "repair promise", "replacement pledge",
           "satisfaction guarantee", "parts-and-labour cover")
_C_OTHER = tuple(f"{a} {b}" for a, bs in (
    ("Free returns", ("within {n} days", "for {n} days", "up to {n} days after delivery")),
    ("Easy returns", ("within {n} days", "for {n} days")),
    ("No-quibble exchanges", ("within {n} days", "for {n} days")),
    ("Ships in", ("{pack} packaging", "{pack} boxes")),
    ("Arrives in", ("{pack} packaging", "{pack} wrapping")),
    ("Packed in", ("{pack} materials", "{pack} cartons")),
    ("Dispatched within", ("{h} hours", "{h} hours from our {city} depot")),
    ("Leaves our warehouse within", ("{h} hours",)),
    ("Spare parts stocked for", ("{n} years", "at least {n} years")),
    ("Assembled and checked in", ("{city}",)), ("Quality-checked by hand in", ("{city}",)),
    ("Free delivery", ("on orders over ${n}", "to most addresses")),
    ("Repairs handled at", ("our {city} workshop", "partner workshops near {city}")),
    ("Customer care answers from", ("{city}, seven days a week", "{city} within a day")),
) for b in bs)
_PACK = ("plastic-free", "recycled-cardboard", "compostable", "minimal", "FSC-certified", "reusable", "paper-only")
CITIES = ("Bergen", "Trondheim", "Uppsala", "Odense", "Aalborg", "Reykjavik", "Antwerp", "Bruges", "Leuven",
          "Eindhoven", "Groningen", "Cologne", "Dresden", "Freiburg", "Nuremberg", "Salzburg", "Innsbruck", "Lausanne",
          "Geneva", "Florence", "Verona", "Naples", "Genoa", "Granada", "Malaga", "Zaragoza", "Coimbra", "Braga",
          "Marseille", "Toulouse", "Lille", "Strasbourg", "Edinburgh", "Cardiff", "Belfast", "Galway", "Manchester",
          "Sheffield", "Nottingham", "Brighton", "Vilnius", "Kaunas", "Wroclaw", "Poznan", "Budapest", "Debrecen",
          "Bratislava", "Kosice", "Sofia", "Plovdiv", "Bucharest", "Cluj", "Athens", "Thessaloniki", "Izmir",
          "Nagoya", "Sapporo", "Fukuoka", "Busan", "Daegu", "Kaohsiung", "Chiang Mai", "Penang", "Cebu", "Perth",
          "Adelaide", "Hobart", "Wellington", "Christchurch", "Halifax", "Calgary", "Winnipeg", "Quebec", "Seattle",
          "Minneapolis", "Nashville", "Savannah", "Pittsburgh", "Baltimore", "Tucson", "Albuquerque", "Boise",
          "Oaxaca", "Puebla", "Monterrey", "Bogota", "Medellin", "Quito", "Cusco", "Valparaiso", "Mendoza", "Cordoba",
          "Montevideo", "Recife", "Curitiba", "Marrakesh", "Fez", "Tunis", "Nairobi", "Kigali", "Accra", "Dakar",
          "Windhoek", "Mombasa", "Zanzibar", "Luxor", "Amman", "Beirut", "Tbilisi", "Yerevan", "Baku", "Almaty",
          "Tashkent", "Samarkand", "Bukhara", "Kathmandu", "Pokhara", "Colombo", "Kandy", "Mysore", "Jaipur", "Udaipur",
          "Kochi", "Goa", "Dhaka", "Yangon", "Luang Prabang", "Hue", "Hoi An", "Siem Reap", "Bali", "Lombok",
          "Darwin", "Cairns", "Queenstown", "Dunedin", "Nelson", "Suva", "Apia", "Honolulu", "Anchorage", "Juneau",
          "Yellowknife", "Whitehorse", "Saskatoon", "Regina", "Kingston", "Havana", "Cartagena", "Asuncion", "Salta",
          "Ushuaia", "Punta Arenas", "Arequipa", "Sucre", "Merida", "Guanajuato", "Antigua", "Granada Nicaragua",
          "Oslo", "Lisbon", "Porto", "Kyoto", "Osaka", "Seoul", "Melbourne", "Auckland", "Vancouver", "Montreal",
          "Portland", "Denver", "Austin", "Chicago", "Boston", "Glasgow", "Leeds", "Bristol", "Dublin", "Cork",
          "Ghent", "Utrecht", "Rotterdam", "Hamburg", "Munich", "Leipzig", "Vienna", "Graz", "Zurich", "Basel",
          "Milan", "Turin", "Bologna", "Valencia", "Seville", "Bilbao", "Lyon", "Nantes", "Bordeaux", "Copenhagen",
          "Aarhus", "Gothenburg", "Malmo", "Helsinki", "Tampere", "Tallinn", "Riga", "Krakow", "Gdansk", "Prague",
          "Brno", "Ljubljana", "Zagreb", "Taipei", "Singapore", "Bangalore", "Pune", "Shenzhen", "Hangzhou", "Hanoi")


def closer(rng: np.random.Generator) -> str:
    """A closing sentence about warranty, returns, delivery or service, from parts."""
    if rng.random() < 0.5:
        return f"{rng.choice(_C_START)} {rng.choice(_C_TERM)} {rng.choice(_C_KIND)}."
    return str(rng.choice(_C_OTHER)).format(n=int(rng.choice((14, 21, 30, 45, 60, 90, 100, 365))),
                                            h=int(rng.choice((12, 24, 48, 72))), pack=rng.choice(_PACK),
                                            city=rng.choice(CITIES)) + "."


_U_START = ("A thoughtful pick for", "Popular with", "Designed with", "Loved by", "A favourite of", "Made for",
            "Chosen again and again by", "Well suited to", "Recommended by staff for", "A smart buy for",
            "Often reordered by", "Built around the needs of", "Rated highly by", "A reliable companion for")
_U_END = ("", "", "", " in mind", " who want less fuss", " on a budget", " who value quality", " everywhere",
          " who travel light", " with busy lives", " who like to tinker", " who hate clutter")


def use_sentence(rng: np.random.Generator, use: str) -> str:
    """Who the product suits, in one of many phrasings."""
    start = str(rng.choice(_U_START))
    end = " in mind" if start == "Designed with" else str(rng.choice(_U_END)).replace(" in mind", "")
    return f"{start} {use}{end}."


_FINISHES = ("matte", "satin", "brushed", "powder-coated", "anodised", "lacquered", "oiled", "waxed", "enamelled",
             "frosted", "textured", "speckled", "marbled", "two-tone", "gunmetal", "sandblasted", "hammered",
             "stonewashed", "heathered", "pearlescent", "burnished", "glazed", "varnished", "knurled",
             "patinated", "distressed", "limewashed", "whitewashed", "ebonised", "fumed", "gilded", "silvered",
             "iridescent", "opalescent", "crackled", "ribbed", "fluted", "scalloped", "embossed", "etched",
             "mottled", "dappled", "weathered", "tinted", "smoked", "bronzed", "verdigris", "ombre")
_CARE = ("wipe with a damp cloth", "rinse under warm water", "hand wash only", "air dry away from radiators",
         "store somewhere cool and dry", "avoid abrasive cleaners", "dust weekly with a soft brush",
         "machine wash at thirty degrees", "descale monthly with vinegar", "recharge before long storage",
         "keep out of direct sunlight", "tumble dry on low", "oil the hinges twice a year",
         "spot clean with mild soap")
_OCCASIONS = ("weekend getaways", "rainy afternoons", "early mornings", "late nights", "dinner parties",
              "school runs", "festival season", "long commutes", "holiday gatherings", "lazy Sundays",
              "back-to-school season", "spring cleaning", "summer barbecues", "winter evenings", "birthday surprises",
              "housewarmings", "office moves", "first apartments", "road trips", "camping weekends",
              "marathon training", "exam season", "new parents", "retirement hobbies", "garden parties",
              "pancake mornings", "stargazing trips", "fishing expeditions", "pottery classes", "choir rehearsals",
              "allotment Saturdays", "surf lessons", "ski holidays", "sailing regattas", "harvest suppers",
              "midsummer feasts", "bonfire nights", "carol concerts", "snowball fights", "kite flying",
              "treasure hunts", "sleepovers", "scout camps", "orienteering races", "wild swimming", "bird ringing",
              "mushroom foraging", "jam making", "bread proving", "cider pressing", "wreath making", "quiz nights")
_FIRST = ("Ingrid", "Mateo", "Aiko", "Lars", "Sofia", "Tomasz", "Amara", "Nikolai", "Elif", "Rafael", "Yuki", "Signe",
          "Dario", "Leila", "Henrik", "Priya", "Oskar", "Chiara", "Tariq", "Hanna", "Bruno", "Mirela", "Kenji", "Astrid",
          "Emeka", "Lucia", "Anders", "Farah", "Jonas", "Ines", "Viktor", "Noor", "Pablo", "Greta", "Idris", "Maren",
          "Sven", "Alma", "Ruben", "Zofia", "Kofi", "Thea", "Marco", "Ayla", "Felix", "Yara", "Emil", "Saoirse",
          "Nils", "Odile", "Rosa", "Teodor", "Wanda", "Xavier", "Yusuf", "Zara", "Beatriz", "Cormac", "Dagny", "Esme")
_LAST = ("Solberg", "Ferreira", "Tanaka", "Lindqvist", "Moretti", "Kowalski", "Okafor", "Petrov", "Yilmaz", "Costa",
         "Nakamura", "Haugen", "Ricci", "Haddad", "Berg", "Raman", "Nieminen", "Romano", "Aziz", "Virtanen", "Silva",
         "Novak", "Sato", "Dahl", "Eze", "Marino", "Holm", "Karimi", "Weber", "Duarte", "Volkov", "Mansour", "Ortega",
         "Lund", "Bakker", "Brennan", "Laine", "Esposito", "Kaur", "Jensen", "Fischer", "Horvat", "Quinn", "Rossi",
         "Strand", "Tamura", "Ueda", "Vasquez", "Wolff", "Zielinski", "Almeida", "Byrne", "Carvalho", "Dalton")
_MATERIALS = ("recycled aluminium", "beechwood", "walnut", "ash wood", "oak veneer", "bamboo fibre", "cork",
              "organic cotton", "merino wool", "linen", "hemp", "jute", "canvas", "ripstop nylon", "recycled polyester",
              "tempered glass", "borosilicate glass", "stoneware", "porcelain", "terracotta", "cast iron", "copper",
              "brass", "titanium", "carbon fibre", "natural rubber", "vegan leather", "suede", "felt", "slate",
              "sheepskin", "alpaca", "mohair", "angora", "chenille", "gabardine", "poplin", "muslin", "chambray",
              "velour", "taffeta", "organza", "chiffon", "boucle", "jacquard", "damask", "toile", "calico", "twill",
              "nubuck", "shagreen", "mother-of-pearl", "abalone", "soapstone", "travertine", "onyx", "quartzite",
              "pewter", "zinc", "chrome", "rosewood", "teak", "mahogany", "cherrywood", "maple", "elm", "larch",
              "sycamore", "acacia", "driftwood", "rattan cane", "seagrass", "raffia", "wicker", "sisal")
_DETAIL = ("Designed by {first} {last} in {city}.", "Part of the {last} collection, first drawn up in {city}.",
           "Trimmed in {material} for a {finish} look.", "Details in {material} were chosen by {first} {last}.",
"Designed in {city} and finished in a {finish} look.", "Care tip: {care}.",
           "Ideal for {occasion}.", "The {finish} finish hides everyday scuffs.", "Great for {occasion} and {occasion2}.",
           "Our {city} team tested it through {occasion}.", "Tip from our {city} store: {care}.",
           "Styled in {city}; the {finish} surface feels good in the hand.", "Pack it for {occasion}.",
           "Shoppers reach for it during {occasion}.", "To keep it looking new, {care}.",
           "First sketched in a {city} studio.", "A {finish} option for {occasion}.")


def detail(rng: np.random.Generator) -> str:
    """One sentence of provenance, designer, material, finish, care, occasion or inspiration."""
    r = rng.random()
    if r < 0.35:
        return inspiration(rng)
    if r < 0.7:
        return voice(rng)
    o1, o2 = rng.choice(_OCCASIONS, size=2, replace=False)
    return str(rng.choice(_DETAIL)).format(city=rng.choice(CITIES), finish=rng.choice(_FINISHES),
                                           care=rng.choice(_CARE), occasion=o1, occasion2=o2,
                                           first=rng.choice(_FIRST), last=rng.choice(_LAST),
                                           material=rng.choice(_MATERIALS))


_INSPIRATIONS = """
Norwegian fjords, Icelandic moss, desert dunes, alpine meadows, misty moors, volcanic beaches, coral reefs,
birch forests, redwood groves, lavender fields, olive orchards, tulip fields, rice terraces, salt flats,
limestone cliffs, chalk downs, pine barrens, mangrove swamps, glacier lagoons, bamboo thickets, cherry blossoms,
autumn maples, harvest moons, northern lights, summer solstice, winter frost, spring thaw, monsoon rains,
Mediterranean tiles, Moroccan lanterns, Scandinavian cabins, Japanese gardens, Bauhaus posters, Art Deco lobbies,
mid-century lounges, Shaker furniture, Victorian greenhouses, Tuscan farmhouses, Cornish fishing villages,
Parisian cafes, Viennese coffeehouses, Brooklyn lofts, Berlin galleries, Andalusian courtyards, Greek islands,
Swiss chalets, Bavarian beer gardens, Irish pubs, Highland lochs, Welsh valleys, Dutch windmills, Danish harbours,
Finnish saunas, Baltic amber, Sahara nights, Patagonian steppe, Amazon canopy, Serengeti sunsets, Kalahari skies,
Himalayan peaks, Mongolian yurts, Siberian taiga, Canadian lakes, Appalachian trails, Rocky Mountain passes,
Pacific driftwood, Atlantic spray, Caribbean lagoons, Polynesian voyages, Antarctic ice shelves, Arctic tundra,
vintage railways, ocean liners, airship hangars, lighthouse keepers, clockmakers, bookbinders, glassblowers,
blacksmiths, potters, weavers, luthiers, cartographers, astronomers, beekeepers, shepherds, fishermen, foragers,
mountaineers, sailors, surfers, skaters, climbers, divers, falconers, gardeners, bakers, brewers, vintners,
tea ceremonies, jazz clubs, vinyl records, drive-in cinemas, film noir, silent movies, comic strips, chess clubs,
origami cranes, paper lanterns, stained glass, mosaic floors, terrazzo counters, herringbone parquet, rattan chairs,
wicker baskets, macrame hangers, patchwork quilts, tartan blankets, paisley scarves, gingham tablecloths,
denim workwear, sailcloth, tweed jackets, corduroy trousers, seersucker suits, flannel shirts, cashmere throws,
copper kettles, enamel mugs, cast iron skillets, butcher blocks, apothecary jars, mason jars, tin lunchboxes,
typewriters, fountain pens, letterpress cards, polaroid snapshots, film cameras, transistor radios, jukeboxes,
arcade cabinets, pinball machines, model trains, kites, sailboats, canoes, kayaks, rowing skiffs, bicycles,
vespa scooters, camper vans, caravans, treehouses, lake houses, beach huts, mountain refuges, bothies, lodges,
citrus groves, fig trees, pomegranates, quinces, persimmons, apricots, plums, blackberries, elderflowers,
rosemary, thyme, sage, basil, mint, saffron, cardamom, cinnamon, nutmeg, vanilla pods, star anise, ginger root,
espresso bars, chai stalls, matcha houses, bakeries, patisseries, fromageries, delicatessens, night markets,
flea markets, antique fairs, harvest festivals, lantern festivals, carnival parades, regattas, rodeos, marathons,
tide pools, sea glass, river pebbles, granite quarries, marble quarries, sandstone canyons, basalt columns,
hot springs, geysers, waterfalls, rapids, estuaries, deltas, archipelagos, atolls, lagoons, bays, coves, inlets,
starlight, moonlight, twilight, daybreak, high noon, golden hour, blue hour, thunderstorms, snowfall, heatwaves,
hummingbirds, kingfishers, puffins, herons, owls, foxes, badgers, otters, hedgehogs, deer, wolves, bears, whales,
orchards in blossom, hay bales, stone walls, hedgerows, cobbled lanes, canal boats, tram lines, cable cars, funiculars,
rope bridges, boardwalks, piers, promenades, bandstands, greenhouses, conservatories, allotments, vineyards, hop farms,
lighthouses, harbour cranes, shipyards, mill towns, coal barges, paper mills, textile looms, pottery wheels, printing
presses, bell towers, observatories, planetariums, aquariums, botanical gardens, sculpture parks, amphitheatres,
velvet theatres, opera houses, ballrooms, dance halls, roller rinks, bowling alleys, lidos, bathhouses, boathouses,
snow globes, music boxes, kaleidoscopes, spinning tops, rocking horses, tin soldiers, marbles, dominoes, jigsaws
"""
INSPIRATIONS = tuple(x.strip() for x in _INSPIRATIONS.replace("\n", " ").split(",") if x.strip())
_PAIRINGS = """
a slow Sunday breakfast, a picnic blanket, a reading nook, a window seat, a home office, a studio apartment,
a garden shed, a workshop bench, a campervan, a sailing trip, a ski chalet, a beach weekend, a city break,
a tea break, a movie night, a board game night, a book club, a yoga retreat, a spa day, a dinner date,
a housewarming party, a baby shower, a graduation, a wedding list, a retirement party, an anniversary,
Friday pizza nights, Saturday markets, school holidays, bank holidays, half-term, the daily commute,
a long-haul flight, a night train, a rainy bus stop, a hotel stay, a hostel bunk, a festival tent
"""
PAIRINGS = tuple(x.strip() for x in _PAIRINGS.replace("\n", " ").split(",") if x.strip())
_DETAIL_MORE = ("Inspired by {inspiration}.", "Its colour story borrows from {inspiration}.",
                "Named after {inspiration} by {first} {last}.", "A nod to {inspiration} and {inspiration2}.",
                "Pairs well with {pairing}.", "Made with {pairing} in mind.", "Think {inspiration}, but for {pairing}.")


def inspiration(rng: np.random.Generator) -> str:
    """One sentence on what inspired the design or where it belongs."""
    a, b = rng.choice(INSPIRATIONS, size=2, replace=False)
    return str(rng.choice(_DETAIL_MORE)).format(inspiration=a, inspiration2=b, pairing=rng.choice(PAIRINGS),
                                                first=rng.choice(_FIRST), last=rng.choice(_LAST))


_ADJECTIVES = """
sturdy, elegant, cheerful, understated, playful, rugged, refined, honest, clever, charming, handsome, dependable,
whimsical, minimalist, generous, nimble, sleek, cosy, bold, calm, confident, curious, dainty, earthy, fearless,
graceful, hardy, inventive, jaunty, lively, mellow, nifty, opulent, plucky, quirky, rustic, serene, spirited,
stately, stylish, tactile, thrifty, tidy, trusty, unfussy, versatile, vibrant, welcoming, zesty, breezy, buttery,
chunky, crunchy, dreamy, feathery, fluffy, glossy, gritty, hefty, humble, jolly, leafy, lush, moody, nostalgic,
peppy, polished, posh, roomy, sassy, silky, snappy, soothing, spacious, springy, squishy, sunny, swanky, toasty,
velvety, zippy, airy, balmy, bouncy, brisk, chic, crafty, daring, dashing, delightful, dapper, eclectic, effortless,
flawless, frugal, funky, gleaming, gorgeous, hearty, intuitive, luminous, luxurious, meticulous, modern, modest,
natural, neat, organic, practical, pristine, quaint, quiet, radiant, relaxed, resilient, robust, rugged, savvy,
scrappy, sensible, sharp, shiny, smart, solid, sophisticated, sparkling, stout, striking, subtle, supple, tasteful,
thoughtful, timeless, tough, tranquil, trendy, uncluttered, unpretentious, useful, utilitarian, warm, weatherly,
wholesome, wise, witty, youthful, zen, adaptable, agile, amiable, ample, angular, artful, artisanal, assured,
audacious, authentic, balanced, beaming, bespoke, blissful, bookish, bright-eyed, brilliant, bubbly, burly, calming,
candid, capable, carefree, casual, celebratory, cerebral, characterful, cinematic, citrusy, civilised, classy,
clean-cut, cohesive, colourful, comforting, compact, composed, considered, contemporary, convivial, cool-headed,
courteous, crisp, cultured, cushy, dazzling, decisive, decorative, deft, dignified, diligent, discreet, distinctive,
dutiful, dynamic, easygoing, ebullient, economical, edgy, efficient, elaborate, eloquent, enchanting, energetic,
engaging, enterprising, exuberant, fabulous, faithful, festive, fiery, fine-tuned, flexible, fluent, focused, folksy,
formal, fortified, fragrant, friendly, frisky, frosty, gallant, gentle, genteel, glamorous, gleeful, glowing, grand,
grounded, handy, harmonious, heartfelt, heroic, homely, homespun, hospitable, idyllic, imaginative, immaculate,
impeccable, industrious, ingenious, inviting, jovial, joyful, judicious, kindly, laid-back, lavish, leisurely, lithe,
lofty, lovable, loyal, lucid, magnetic, majestic, masterful, measured, merry, mindful, mischievous, muscular,
mysterious, nautical, noble, nonchalant, nourishing, novel, nurturing, obliging, orderly, ornate, outdoorsy,
painterly, palatial, pastoral, patient, peaceful, perky, personable, picturesque, pleasing, plush, poetic, poised,
powerful, precious, proud, punchy, purposeful, quick-witted, rakish, ravishing, reassuring, regal, reliable,
resourceful, restful, rhythmic, romantic, rousing, sculptural, seasoned, sedate, sheltering, shipshape, showy,
sincere, skilful, sleepy, slender, sociable, spartan, splendid, sporty, spry, steadfast, steady, stellar, stoic,
streamlined, studious, sumptuous, sunlit, superb, swift, symmetrical, tailored, tender, tenacious, textural,
thrilling, tireless, tolerant, tremendous, trim, upbeat, upright, urbane, valiant, vivacious, vivid, watchful,
weathered, whimsical, wiry, wistful, wondrous, workmanlike, zealous, adroit, affable, alluring, amber-lit, astute,
becoming, beguiling, blithe, brawny, buoyant, canny, captivating, cheery, chipper, comely, commodious, congenial,
cordial, crafted, debonair, demure, devoted, droll, dulcet, elfin, enduring, exquisite, fetching, fleet, forthright,
gainly, genial, gracious, gutsy, hale, halcyon, hushed, jaunty, jocular, keen, kempt, limber, lissom, lustrous,
mannerly, mirthful, natty, noteworthy, nuanced, peppery, pert, pliant, prim, prudent, quicksilver, radiating,
rollicking, rosy, salty, sanguine, sapid, scrupulous, sedulous, sprightly, staunch, suave, sublime, svelte, tangy,
tawny, teeming, tidy-minded, trig, unflappable, unhurried, verdant, vernal, wholehearted, winsome, zingy
"""
ADJECTIVES = tuple(sorted({x.strip() for x in _ADJECTIVES.replace("\n", " ").split(",") if x.strip()}))
_CRAFTS = """
hand-stitched seams, laser-etched markings, kiln-fired glaze, hand-turned wood, bevelled edges, rolled hems,
saddle stitching, riveted joints, dovetail joints, French seams, bias binding, blind stitching, felled seams,
pressed pleats, hand-painted accents, block-printed motifs, screen-printed graphics, embossed logos, debossed
lettering, woven labels, brass eyelets, horn buttons, corozo buttons, waxed thread, hand-sanded corners,
steam-bent curves, spun aluminium, forged handles, cast bases, welded frames, knitted panels, crocheted trims,
quilted linings, tufted tops, hand-poured finishes, tumbled stones, pressed flowers, hand-knotted fringes,
appliqued patches, smocked yokes, cross-stitched borders, beaded edging, piped cushions, gusseted corners,
marquetry inlays, parquetry panels, gold-leaf detailing, enamel cloisonne, chased silverwork, filigree clasps,
cane webbing, rush seating, spindle backs, turned legs, splayed feet, tapered legs, hairpin legs, sled bases,
lacquered trays, japanned tins, lithographed lids, foil-stamped covers, deckled pages, sewn bindings
"""
CRAFTS = tuple(x.strip() for x in _CRAFTS.replace("\n", " ").split(",") if x.strip())
_OBJECTS = """
tote, rucksack, duffel, satchel, lunchbox, thermos, picnic hamper, toolbox, sewing kit, tackle box, umbrella,
raincoat, bucket hat, beanie, scarf, glove, slipper, clog, espadrille, moccasin, loafer, sandal, wellington,
lantern, candlestick, teapot, milk jug, sugar bowl, fruit bowl, bread bin, spice rack, cake tin, cookie jar,
pencil case, desk lamp, bookend, notebook, postcard, wall clock, alarm clock, radio, record player, tape deck,
camera bag, bike bell, water bottle, hip flask, trinket box, jewellery box, key ring, wallet, purse, card holder,
pocket watch, compass, barometer, telescope, spyglass, hourglass, sundial, weathervane, birdhouse, bird feeder,
wheelbarrow, watering can, trowel, secateurs, hammock, deckchair, parasol, windbreak, sledge, snowshoe, ice skate,
rocking chair, footstool, ottoman, chaise longue, sideboard, dresser, wardrobe, trunk, steamer chest, hatbox,
butter dish, gravy boat, ladle, whisk, rolling pin, pestle, mortar, colander, sieve, grater, corkscrew, decanter,
tumbler, goblet, tankard, carafe, samovar, percolator, cafetiere, kettle, toaster, waffle iron, fondue set
"""
OBJECTS = tuple(x.strip() for x in _OBJECTS.replace("\n", " ").split(",") if x.strip())
_VOICE = ("\"{adj} and {adj2},\" says a reviewer from {city}.", "Reviewers call it {adj}, {adj2} and {adj3}.",
          "Finished with {craft} and {craft2}.", "A {adj} take on the classic {obj}.",
          "Shoppers compare it to a {adj} {obj}: {adj2}, {adj3}.", "Expect {craft} and a {adj} feel.",
          "Our buyers found it {adj} yet {adj2}.", "It has the {adj} charm of an old {obj}.")


def voice(rng: np.random.Generator) -> str:
    """One sentence of how it feels to reviewers and buyers, or how it is made."""
    a, b, c = rng.choice(ADJECTIVES, size=3, replace=False)
    k1, k2 = rng.choice(CRAFTS, size=2, replace=False)
    return str(rng.choice(_VOICE)).format(adj=a, adj2=b, adj3=c, craft=k1, craft2=k2, obj=rng.choice(OBJECTS),
                                          city=rng.choice(CITIES))
