//! The countries of the scenario: where legitimate end users are, how their mobile numbers
//! look, and what an SMS to each costs.

use rand::Rng;

/// A country of the scenario: its calling code, the mobile ranges its numbers are drawn from,
/// its share of the legitimate sign-ups, and the assumed price of one SMS to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Country {
    /// ISO 3166 region, for the reader (`"PH"`).
    pub region: &'static str,
    /// The calling code, with its `+` (`"+63"`), as country budgets name it.
    pub calling_code: &'static str,
    /// National mobile prefixes (after the calling code) numbers are drawn under.
    prefixes: &'static [&'static str],
    /// Random digits after the prefix.
    digits: u32,
    /// Share of the legitimate sign-ups, in percent (the table's shares add up to 100).
    pub share_percent: u32,
    /// Assumed price of one SMS to the country, in millionths of a US dollar.
    pub price_micros: u64,
}

impl Country {
    /// A random mobile number of this country, in E.164 (`+639171234567`). Personal data in
    /// form, though drawn at random: never logged.
    pub fn draw(&self, rng: &mut impl Rng) -> String {
        self.draw_under(rng.random_range(0..self.prefixes.len()), rng)
    }

    /// A random mobile number of this country under its prefix `prefix` (an index of its
    /// prefixes): what an attack on the ranges one operator leases draws from.
    pub(crate) fn draw_under(&self, prefix: usize, rng: &mut impl Rng) -> String {
        let prefix = self.prefixes[prefix % self.prefixes.len()];
        let subscriber = rng.random_range(0..10u64.pow(self.digits));
        format!(
            "{}{prefix}{subscriber:0width$}",
            self.calling_code,
            width = self.digits as usize
        )
    }

    /// The number `index` of the block of consecutive numbers that starts at `prefix` and
    /// `block` (`+63 917 123 0000`, `+63 917 123 0001`, …): what a pumping bot walks through.
    pub(crate) fn consecutive(&self, prefix: usize, block: u64, index: u64) -> String {
        let subscriber = block * BLOCK + index;
        format!(
            "{}{}{subscriber:0width$}",
            self.calling_code,
            self.prefixes[prefix % self.prefixes.len()],
            width = self.digits as usize
        )
    }

    /// The blocks of [`BLOCK`] consecutive numbers under one prefix.
    pub(crate) fn blocks(&self) -> u64 {
        10u64.pow(self.digits) / BLOCK
    }

    /// How many prefixes numbers are drawn under.
    pub(crate) fn prefix_count(&self) -> usize {
        self.prefixes.len()
    }
}

/// Consecutive numbers per block an attack burst walks (`…0000` to `…9999`).
pub(crate) const BLOCK: u64 = 10_000;

/// The countries of the legitimate traffic, with their share of it and the price of an SMS.
///
/// **The prices are assumptions**, not quotes: rounded figures of the order of the public
/// per-message list prices of A2P SMS to each country (Twilio's and similar providers' pricing
/// pages, 2024–2025), in US dollars. Real prices vary by provider, carrier, volume and month;
/// the scenario compares the bills of one traffic with and without guards at these prices.
/// The attacked countries are among the dearest, as pumping's targets are. The prefixes are mobile ranges the numbering plan
/// accepts (`PhoneNumber::parse`, proven for every one by the reliability test
/// `every_country_draws_valid_mobile_numbers`).
pub const COUNTRIES: [Country; 18] = [
    Country {
        region: "US",
        calling_code: "+1",
        prefixes: &["2123", "3124", "4152", "6462", "7132"],
        digits: 6,
        share_percent: 14,
        price_micros: 8_000,
    },
    Country {
        region: "IN",
        calling_code: "+91",
        prefixes: &["98", "99", "97"],
        digits: 8,
        share_percent: 12,
        price_micros: 80_000,
    },
    Country {
        region: "BR",
        calling_code: "+55",
        prefixes: &["119", "219", "319"],
        digits: 8,
        share_percent: 9,
        price_micros: 50_000,
    },
    Country {
        region: "MX",
        calling_code: "+52",
        prefixes: &["55", "33", "81"],
        digits: 8,
        share_percent: 6,
        price_micros: 60_000,
    },
    Country {
        region: "GB",
        calling_code: "+44",
        prefixes: &["741", "742", "751", "771", "772", "795"],
        digits: 7,
        share_percent: 6,
        price_micros: 45_000,
    },
    Country {
        region: "DE",
        calling_code: "+49",
        prefixes: &["151", "152", "176"],
        digits: 8,
        share_percent: 6,
        price_micros: 90_000,
    },
    Country {
        region: "FR",
        calling_code: "+33",
        prefixes: &["60", "61", "62", "64", "65"],
        digits: 7,
        share_percent: 5,
        price_micros: 80_000,
    },
    Country {
        region: "ID",
        calling_code: "+62",
        prefixes: &["812", "813", "852"],
        digits: 8,
        share_percent: 5,
        price_micros: 400_000,
    },
    Country {
        region: "PH",
        calling_code: "+63",
        prefixes: &["917", "927", "939"],
        digits: 7,
        share_percent: 5,
        price_micros: 200_000,
    },
    Country {
        region: "NG",
        calling_code: "+234",
        prefixes: &["803", "806", "813"],
        digits: 7,
        share_percent: 4,
        price_micros: 300_000,
    },
    Country {
        region: "PK",
        calling_code: "+92",
        prefixes: &["300", "321", "333"],
        digits: 7,
        share_percent: 4,
        price_micros: 250_000,
    },
    Country {
        region: "VN",
        calling_code: "+84",
        prefixes: &["90", "91", "98"],
        digits: 7,
        share_percent: 4,
        price_micros: 100_000,
    },
    Country {
        region: "TR",
        calling_code: "+90",
        prefixes: &["532", "542", "505"],
        digits: 7,
        share_percent: 4,
        price_micros: 50_000,
    },
    Country {
        region: "AU",
        calling_code: "+61",
        prefixes: &["40", "41", "42"],
        digits: 7,
        share_percent: 4,
        price_micros: 50_000,
    },
    Country {
        region: "EG",
        calling_code: "+20",
        prefixes: &["10", "11", "12"],
        digits: 8,
        share_percent: 3,
        price_micros: 250_000,
    },
    Country {
        region: "ES",
        calling_code: "+34",
        prefixes: &["61", "62", "66"],
        digits: 7,
        share_percent: 3,
        price_micros: 80_000,
    },
    Country {
        region: "IT",
        calling_code: "+39",
        prefixes: &["320", "333", "347"],
        digits: 7,
        share_percent: 3,
        price_micros: 90_000,
    },
    Country {
        region: "MY",
        calling_code: "+60",
        prefixes: &["12", "16", "19"],
        digits: 7,
        share_percent: 3,
        price_micros: 60_000,
    },
];

/// The country of `calling_code` among [`COUNTRIES`].
pub fn country(calling_code: &str) -> Option<&'static Country> {
    COUNTRIES.iter().find(|c| c.calling_code == calling_code)
}
