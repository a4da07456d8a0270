//! GS1 application identifiers (GS1 General Specifications, section 3 and
//! figure 7.8.5-1): how long each AI is, how long and of which characters
//! its value is, and whether it needs a GS after it in an element string.
//!
//! The table holds the AIs a medical-device label carries and the common
//! logistics ones; an AI not in it is reported by number, never guessed.

/// The characters an AI's value may hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Charset {
    /// Digits only (GS1 "N").
    Numeric,
    /// GS1 AI encodable character set 82 (GS1 "X").
    Cset82,
}

impl Charset {
    /// Whether `c` belongs to the set.
    pub fn allows(self, c: char) -> bool {
        match self {
            Charset::Numeric => c.is_ascii_digit(),
            Charset::Cset82 => c.is_ascii_alphanumeric() || "!\"%&'()*+,-./:;<=>?_".contains(c),
        }
    }

    /// The set's name, as a message says it.
    pub fn describe(self) -> &'static str {
        match self {
            Charset::Numeric => "digits only",
            Charset::Cset82 => {
                "GS1 character set 82 (A-Z a-z 0-9 and ! \" % & ' ( ) * + , - . / : ; < = > ? _)"
            }
        }
    }
}

/// What a value of an AI is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A GTIN (N14 with its check digit).
    Gtin,
    /// A date YYMMDD (DD may be 00: the month's last day).
    Date,
    /// A date and time YYMMDDHHMM.
    DateTime,
    /// Anything else of the charset.
    Text,
}

/// One AI's rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AiSpec {
    /// The AI, e.g. "01", "240", "7003", "3103".
    pub ai: &'static str,
    /// What it means, for messages.
    pub title: &'static str,
    /// Shortest value.
    pub min: usize,
    /// Longest value (equal to `min` when fixed).
    pub max: usize,
    /// Its characters.
    pub charset: Charset,
    /// What the value is.
    pub kind: Kind,
}

impl AiSpec {
    /// Whether the value has a fixed length.
    pub fn fixed(&self) -> bool {
        self.min == self.max
    }
}

use Charset::{Cset82 as X, Numeric as N};

const fn spec(
    ai: &'static str,
    title: &'static str,
    (min, max): (usize, usize),
    charset: Charset,
    kind: Kind,
) -> AiSpec {
    AiSpec {
        ai,
        title,
        min,
        max,
        charset,
        kind,
    }
}

/// The AIs known by number (measures, 31nn to 36nn, are matched by their
/// first three digits in [`lookup`]).
const TABLE: &[AiSpec] = &[
    spec("00", "SSCC", (18, 18), N, Kind::Text),
    spec("01", "GTIN", (14, 14), N, Kind::Gtin),
    spec(
        "02",
        "GTIN of contained trade items",
        (14, 14),
        N,
        Kind::Gtin,
    ),
    spec("10", "batch or lot number", (1, 20), X, Kind::Text),
    spec("11", "production date", (6, 6), N, Kind::Date),
    spec("12", "due date", (6, 6), N, Kind::Date),
    spec("13", "packaging date", (6, 6), N, Kind::Date),
    spec("15", "best before date", (6, 6), N, Kind::Date),
    spec("16", "sell by date", (6, 6), N, Kind::Date),
    spec("17", "expiration date", (6, 6), N, Kind::Date),
    spec("20", "internal product variant", (2, 2), N, Kind::Text),
    spec("21", "serial number", (1, 20), X, Kind::Text),
    spec("22", "consumer product variant", (1, 20), X, Kind::Text),
    spec(
        "235",
        "third party controlled serial",
        (1, 28),
        X,
        Kind::Text,
    ),
    spec(
        "240",
        "additional product identification",
        (1, 30),
        X,
        Kind::Text,
    ),
    spec("241", "customer part number", (1, 30), X, Kind::Text),
    spec(
        "242",
        "made-to-order variation number",
        (1, 6),
        N,
        Kind::Text,
    ),
    spec("243", "packaging component number", (1, 20), X, Kind::Text),
    spec("250", "secondary serial number", (1, 30), X, Kind::Text),
    spec("251", "reference to source entity", (1, 30), X, Kind::Text),
    spec("254", "GLN extension component", (1, 20), X, Kind::Text),
    spec("30", "variable count of items", (1, 8), N, Kind::Text),
    spec("37", "count of trade items", (1, 8), N, Kind::Text),
    spec(
        "400",
        "customer's purchase order number",
        (1, 30),
        X,
        Kind::Text,
    ),
    spec(
        "401",
        "global identification number for consignment",
        (1, 30),
        X,
        Kind::Text,
    ),
    spec(
        "402",
        "global shipment identification number",
        (17, 17),
        N,
        Kind::Text,
    ),
    spec("403", "routing code", (1, 30), X, Kind::Text),
    spec("410", "ship to GLN", (13, 13), N, Kind::Text),
    spec("411", "bill to GLN", (13, 13), N, Kind::Text),
    spec("412", "purchased from GLN", (13, 13), N, Kind::Text),
    spec("413", "ship for GLN", (13, 13), N, Kind::Text),
    spec("414", "GLN of a physical location", (13, 13), N, Kind::Text),
    spec("415", "GLN of the invoicing party", (13, 13), N, Kind::Text),
    spec(
        "416",
        "GLN of the production or service location",
        (13, 13),
        N,
        Kind::Text,
    ),
    spec("417", "party GLN", (13, 13), N, Kind::Text),
    spec("420", "ship to postal code", (1, 20), X, Kind::Text),
    spec("422", "country of origin", (3, 3), N, Kind::Text),
    spec(
        "7003",
        "expiration date and time",
        (10, 10),
        N,
        Kind::DateTime,
    ),
    spec("7004", "active potency", (1, 4), N, Kind::Text),
    spec(
        "8003",
        "global returnable asset identifier",
        (14, 30),
        X,
        Kind::Text,
    ),
    spec(
        "8004",
        "global individual asset identifier",
        (1, 30),
        X,
        Kind::Text,
    ),
    spec("8005", "price per unit of measure", (6, 6), N, Kind::Text),
    spec(
        "8006",
        "identification of an individual trade item piece",
        (18, 18),
        N,
        Kind::Text,
    ),
    spec("8012", "software version", (1, 20), X, Kind::Text),
    spec(
        "8020",
        "payment slip reference number",
        (1, 25),
        X,
        Kind::Text,
    ),
    spec(
        "90",
        "information mutually agreed between trading partners",
        (1, 30),
        X,
        Kind::Text,
    ),
    spec("91", "company internal information", (1, 90), X, Kind::Text),
    spec("92", "company internal information", (1, 90), X, Kind::Text),
    spec("93", "company internal information", (1, 90), X, Kind::Text),
    spec("94", "company internal information", (1, 90), X, Kind::Text),
    spec("95", "company internal information", (1, 90), X, Kind::Text),
    spec("96", "company internal information", (1, 90), X, Kind::Text),
    spec("97", "company internal information", (1, 90), X, Kind::Text),
    spec("98", "company internal information", (1, 90), X, Kind::Text),
    spec("99", "company internal information", (1, 90), X, Kind::Text),
];

/// A trade measure (310n to 369n, n the decimal places): six digits.
const MEASURE: AiSpec = spec("3nnn", "trade or logistic measure", (6, 6), N, Kind::Text);

/// The spec of AI `ai` (its digits), if known.
pub fn lookup(ai: &str) -> Option<AiSpec> {
    if let Some(found) = TABLE.iter().find(|s| s.ai == ai) {
        return Some(*found);
    }
    let measure = ai.len() == 4
        && ai.starts_with('3')
        && ai
            .as_bytes()
            .get(1)
            .is_some_and(|b| (b'1'..=b'6').contains(b))
        && ai.bytes().all(|b| b.is_ascii_digit());
    measure.then_some(MEASURE)
}

/// How many digits the AI starting at `digits` has, from its first two
/// (GS1's AI prefixes: 2 digits for 00-30 and 90-99 families, 3 for
/// 23x-25x, 40x-42x, 4 for 31x-36x, 70xx-80xx). `None` for a start no
/// AI has.
pub fn ai_length(digits: &str) -> Option<usize> {
    let two = digits.get(..2)?;
    if !two.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    match two {
        "00" | "01" | "02" | "10" | "11" | "12" | "13" | "15" | "16" | "17" | "20" | "21"
        | "22" | "30" | "37" | "90" | "91" | "92" | "93" | "94" | "95" | "96" | "97" | "98"
        | "99" => Some(2),
        "23" | "24" | "25" | "40" | "41" | "42" => Some(3),
        "31" | "32" | "33" | "34" | "35" | "36" | "70" | "71" | "72" | "80" | "81" | "82" => {
            Some(4)
        }
        _ => None,
    }
}

/// Whether an AI with these first two digits has a predefined length, so
/// that no GS follows it in an element string (figure 7.8.5-1).
pub fn predefined_length(ai: &str) -> bool {
    matches!(
        ai.get(..2),
        Some(
            "00" | "01"
                | "02"
                | "03"
                | "04"
                | "11"
                | "12"
                | "13"
                | "14"
                | "15"
                | "16"
                | "17"
                | "18"
                | "19"
                | "20"
                | "31"
                | "32"
                | "33"
                | "34"
                | "35"
                | "36"
                | "41"
        )
    )
}

/// GS1 Digital Link's short names of AIs in a URI path.
pub fn from_short_name(name: &str) -> Option<&'static str> {
    Some(match name {
        "gtin" => "01",
        "lot" => "10",
        "ser" => "21",
        "cpv" => "22",
        "tpx" => "235",
        "sscc" => "00",
        "itip" => "8006",
        "giai" => "8004",
        "grai" => "8003",
        "gln" => "414",
        "glnx" => "254",
        "party" => "417",
        _ => return None,
    })
}
