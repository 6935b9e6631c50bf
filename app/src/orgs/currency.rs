//! The currencies an organization can work in. Money is always an integer count of the
//! currency's minor units (paise, cents); `minor_units` is the ISO 4217 exponent.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Currency {
    pub code: &'static str,
    pub name: &'static str,
    pub minor_units: u8,
}

const fn c(code: &'static str, name: &'static str, minor_units: u8) -> Currency {
    Currency { code, name, minor_units }
}

/// The ISO 4217 exponent of `code` (2 for a code not in the list).
pub fn minor_units(code: &str) -> u8 {
    CURRENCIES.iter().find(|c| c.code == code).map_or(2, |c| c.minor_units)
}

pub const CURRENCIES: &[Currency] = &[
    c("INR", "Indian rupee", 2),
    c("EUR", "Euro", 2),
    c("USD", "US dollar", 2),
    c("GBP", "Pound sterling", 2),
    c("AED", "UAE dirham", 2),
    c("AUD", "Australian dollar", 2),
    c("BRL", "Brazilian real", 2),
    c("CAD", "Canadian dollar", 2),
    c("CHF", "Swiss franc", 2),
    c("CNY", "Chinese yuan", 2),
    c("CZK", "Czech koruna", 2),
    c("DKK", "Danish krone", 2),
    c("HKD", "Hong Kong dollar", 2),
    c("IDR", "Indonesian rupiah", 2),
    c("JPY", "Japanese yen", 0),
    c("KRW", "South Korean won", 0),
    c("MXN", "Mexican peso", 2),
    c("MYR", "Malaysian ringgit", 2),
    c("NOK", "Norwegian krone", 2),
    c("NZD", "New Zealand dollar", 2),
    c("PHP", "Philippine peso", 2),
    c("PLN", "Polish złoty", 2),
    c("SAR", "Saudi riyal", 2),
    c("SEK", "Swedish krona", 2),
    c("SGD", "Singapore dollar", 2),
    c("THB", "Thai baht", 2),
    c("TRY", "Turkish lira", 2),
    c("ZAR", "South African rand", 2),
];
