//! `okta-idsrc sample` (hidden): writes a realistic, deterministic sample of users, and
//! optionally groups and memberships consistent with them — `examples/data/` is made with it,
//! and so are the large inputs of the measured runs.
//!
//! The same `--count` and `--seed` always give the same bytes.

use std::collections::HashMap;
use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use clap::Args;

use crate::error::CliError;

/// Options of `okta-idsrc sample`.
#[derive(Debug, Args)]
pub(crate) struct SampleArgs {
    /// How many users to write.
    #[arg(long, default_value_t = 3000)]
    count: u64,
    /// The users CSV to write.
    #[arg(long, value_name = "PATH")]
    out: PathBuf,
    /// Also write the groups (one a department, plus managers) to this CSV.
    #[arg(long, value_name = "PATH")]
    groups: Option<PathBuf>,
    /// Also write the memberships (each user in their department's group) to this CSV.
    #[arg(long, value_name = "PATH")]
    memberships: Option<PathBuf>,
    /// The seed of the generator.
    #[arg(long, default_value_t = 42)]
    seed: u64,
}

/// First names with their ASCII form for email addresses; some non-ASCII (at most 3 bytes a
/// character, as Okta requires).
const FIRST_NAMES: &[(&str, &str)] = &[
    ("James", "james"),
    ("Mary", "mary"),
    ("Robert", "robert"),
    ("Patricia", "patricia"),
    ("John", "john"),
    ("Jennifer", "jennifer"),
    ("Michael", "michael"),
    ("Linda", "linda"),
    ("David", "david"),
    ("Elizabeth", "elizabeth"),
    ("William", "william"),
    ("Barbara", "barbara"),
    ("Richard", "richard"),
    ("Susan", "susan"),
    ("Joseph", "joseph"),
    ("Jessica", "jessica"),
    ("Thomas", "thomas"),
    ("Sarah", "sarah"),
    ("Carlos", "carlos"),
    ("Karen", "karen"),
    ("Priya", "priya"),
    ("Aisha", "aisha"),
    ("Wei", "wei"),
    ("Yuki", "yuki"),
    ("Olga", "olga"),
    ("Ahmed", "ahmed"),
    ("Fatima", "fatima"),
    ("Liam", "liam"),
    ("Emma", "emma"),
    ("Noah", "noah"),
    ("Olivia", "olivia"),
    ("Mateo", "mateo"),
    ("Sofia", "sofia"),
    ("José", "jose"),
    ("Zoë", "zoe"),
    ("Jürgen", "jurgen"),
    ("Søren", "soren"),
    ("François", "francois"),
    ("Begoña", "begona"),
    ("Łukasz", "lukasz"),
    ("Chloé", "chloe"),
    ("Björn", "bjorn"),
    ("美咲", "misaki"),
    ("翔太", "shota"),
    ("伟", "wei"),
    ("서연", "seoyeon"),
];

/// Last names with their ASCII form.
const LAST_NAMES: &[(&str, &str)] = &[
    ("Smith", "smith"),
    ("Johnson", "johnson"),
    ("Williams", "williams"),
    ("Brown", "brown"),
    ("Jones", "jones"),
    ("Miller", "miller"),
    ("Davis", "davis"),
    ("Wilson", "wilson"),
    ("Anderson", "anderson"),
    ("Taylor", "taylor"),
    ("Thomas", "thomas"),
    ("Moore", "moore"),
    ("Martin", "martin"),
    ("Jackson", "jackson"),
    ("Thompson", "thompson"),
    ("White", "white"),
    ("Harris", "harris"),
    ("Clark", "clark"),
    ("Lewis", "lewis"),
    ("Robinson", "robinson"),
    ("Patel", "patel"),
    ("Nguyen", "nguyen"),
    ("Kim", "kim"),
    ("Chen", "chen"),
    ("Singh", "singh"),
    ("Kowalski", "kowalski"),
    ("Ivanova", "ivanova"),
    ("O'Brien", "obrien"),
    ("García", "garcia"),
    ("Núñez", "nunez"),
    ("Müller", "muller"),
    ("Ødegaard", "odegaard"),
    ("Lefèvre", "lefevre"),
    ("Açıkgöz", "acikgoz"),
    ("Šimić", "simic"),
    ("田中", "tanaka"),
    ("佐藤", "sato"),
    ("王", "wang"),
    ("김", "kim"),
];

/// Departments: name, group external id, cost center, titles.
const DEPARTMENTS: &[(&str, &str, &str, &[&str])] = &[
    (
        "Engineering",
        "grp-engineering",
        "CC-1100",
        &[
            "Software Engineer",
            "Senior Software Engineer",
            "Staff Engineer",
            "Engineering Manager",
        ],
    ),
    (
        "Sales",
        "grp-sales",
        "CC-2100",
        &[
            "Account Executive",
            "Sales Development Representative",
            "Sales Manager",
        ],
    ),
    (
        "Marketing",
        "grp-marketing",
        "CC-2200",
        &[
            "Marketing Specialist",
            "Content Strategist",
            "Marketing Manager",
        ],
    ),
    (
        "Finance",
        "grp-finance",
        "CC-3100",
        &["Financial Analyst", "Accountant", "Controller"],
    ),
    (
        "Human Resources",
        "grp-hr",
        "CC-3200",
        &["HR Generalist", "Recruiter", "HR Business Partner"],
    ),
    (
        "Customer Success",
        "grp-customer-success",
        "CC-2300",
        &[
            "Customer Success Manager",
            "Support Engineer",
            "Support Lead",
        ],
    ),
    (
        "Legal",
        "grp-legal",
        "CC-3300",
        &["Counsel", "Paralegal", "General Counsel"],
    ),
    (
        "Operations",
        "grp-operations",
        "CC-3400",
        &[
            "Operations Analyst",
            "Facilities Coordinator",
            "Operations Manager",
        ],
    ),
    (
        "Product",
        "grp-product",
        "CC-1200",
        &["Product Manager", "Product Designer", "Director of Product"],
    ),
    (
        "IT",
        "grp-it",
        "CC-1300",
        &["IT Administrator", "Security Engineer", "IT Manager"],
    ),
];

/// The group of people managers.
const MANAGERS_GROUP: (&str, &str, &str) = (
    "grp-managers",
    "People Managers",
    "Everyone with direct reports, across departments",
);

/// Streets, cities (with region and postal prefix) for home addresses.
const STREETS: &[&str] = &[
    "Oak Street",
    "Maple Avenue",
    "Cedar Lane",
    "Pine Road",
    "Elm Street",
    "Washington Boulevard",
    "Lake Drive",
    "Hillcrest Court",
    "Sunset Way",
    "Calle Mayor",
    "Rue de Rivoli",
    "Hauptstraße",
];
const CITIES: &[(&str, &str, &str, &str)] = &[
    ("San Francisco", "CA", "941", "US"),
    ("Austin", "TX", "787", "US"),
    ("Chicago", "IL", "606", "US"),
    ("New York", "NY", "100", "US"),
    ("Seattle", "WA", "981", "US"),
    ("Toronto", "ON", "M5V", "CA"),
    ("München", "BY", "803", "DE"),
    ("Paris", "IDF", "750", "FR"),
    ("Madrid", "MD", "280", "ES"),
    ("東京", "13", "100", "JP"),
];

/// splitmix64: small, fast, and the same everywhere.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n`.
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// True with probability `percent` %.
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// The external id of user `n` (1-based).
pub(crate) fn external_id(n: u64) -> String {
    format!("emp-{n:07}")
}

/// Runs `okta-idsrc sample`.
pub(crate) fn run(args: &SampleArgs) -> Result<(), CliError> {
    let mut users = csv_writer(&args.out)?;
    let mut memberships = args.memberships.as_deref().map(csv_writer).transpose()?;
    if let Some(path) = &args.groups {
        write_groups(path)?;
    }
    users
        .write_record([
            "externalId",
            "userName",
            "email",
            "firstName",
            "lastName",
            "secondEmail",
            "mobilePhone",
            "homeAddress",
            "department",
            "title",
            "costCenter",
            "employeeNumber",
            "startDate",
        ])
        .map_err(|e| write_error(&args.out, &e))?;
    if let Some(m) = &mut memberships {
        m.write_record(["groupExternalId", "memberExternalId"])
            .map_err(|e| write_error(&args.out, &e))?;
    }
    let mut rng = Rng(args.seed);
    let mut taken: HashMap<(usize, usize), u32> = HashMap::new();
    for n in 1..=args.count {
        let first = rng.below(FIRST_NAMES.len() as u64) as usize;
        let last = rng.below(LAST_NAMES.len() as u64) as usize;
        let seen = taken.entry((first, last)).or_insert(0);
        *seen += 1;
        let (first_name, first_ascii) = FIRST_NAMES[first];
        let (last_name, last_ascii) = LAST_NAMES[last];
        let local = if *seen == 1 {
            format!("{first_ascii}.{last_ascii}")
        } else {
            format!("{first_ascii}.{last_ascii}{seen}")
        };
        let email = format!("{local}@example.com");
        let second_email = if rng.chance(35) {
            format!(
                "{first_ascii}{}{}@mail.example.net",
                last_ascii,
                rng.below(100)
            )
        } else {
            String::new()
        };
        let mobile = if rng.chance(90) {
            format!("+1 {} 555 {:04}", 200 + rng.below(800), rng.below(10_000))
        } else {
            String::new()
        };
        let (city, region, postal, country) = *rng.pick(CITIES);
        let address = if rng.chance(80) {
            format!(
                "{} {}, {city}, {region} {postal}{:02}, {country}",
                1 + rng.below(9_899),
                rng.pick(STREETS),
                rng.below(100)
            )
        } else {
            String::new()
        };
        let (department, group, cost_center, titles) = *rng.pick(DEPARTMENTS);
        let title = *rng.pick(titles);
        let start = format!(
            "{}-{:02}-{:02}",
            2008 + rng.below(18),
            1 + rng.below(12),
            1 + rng.below(28)
        );
        let id = external_id(n);
        users
            .write_record([
                id.as_str(),
                &email,
                &email,
                first_name,
                last_name,
                &second_email,
                &mobile,
                &address,
                department,
                title,
                cost_center,
                &format!("E{:06}", 100_000 + n),
                &start,
            ])
            .map_err(|e| write_error(&args.out, &e))?;
        if let (Some(m), Some(path)) = (&mut memberships, &args.memberships) {
            m.write_record([group, id.as_str()])
                .map_err(|e| write_error(path, &e))?;
            if title.contains("Manager")
                || title.contains("Director")
                || title.contains("Lead")
                || title == "Controller"
            {
                m.write_record([MANAGERS_GROUP.0, id.as_str()])
                    .map_err(|e| write_error(path, &e))?;
            }
        }
    }
    users.flush().map_err(|e| write_error(&args.out, &e))?;
    if let (Some(mut m), Some(path)) = (memberships, &args.memberships) {
        m.flush().map_err(|e| write_error(path, &e))?;
    }
    Ok(())
}

fn write_groups(path: &Path) -> Result<(), CliError> {
    let mut w = csv_writer(path)?;
    let mut write = |record: [&str; 3]| w.write_record(record).map_err(|e| write_error(path, &e));
    write(["externalId", "displayName", "description"])?;
    for (name, group, cost_center, _) in DEPARTMENTS {
        write([
            group,
            name,
            &format!("Everyone in {name} (cost center {cost_center})"),
        ])?;
    }
    write([MANAGERS_GROUP.0, MANAGERS_GROUP.1, MANAGERS_GROUP.2])?;
    w.flush().map_err(|e| write_error(path, &e))
}

fn csv_writer(path: &Path) -> Result<csv::Writer<BufWriter<File>>, CliError> {
    let file = File::create(path).map_err(|e| write_error(path, &e))?;
    Ok(csv::Writer::from_writer(BufWriter::with_capacity(
        256 * 1024,
        file,
    )))
}

fn write_error(path: &Path, e: &dyn std::fmt::Display) -> CliError {
    CliError::failure(format!("cannot write {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_at_most_three_bytes_a_character() {
        for (name, ascii) in FIRST_NAMES.iter().chain(LAST_NAMES) {
            assert!(name.chars().all(|c| c.len_utf8() <= 3), "{name}");
            assert!(ascii.is_ascii(), "{ascii}");
        }
    }

    #[test]
    fn same_seed_same_bytes() {
        let dir = std::env::temp_dir().join(format!("okta-idsrc-sample-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let write = |name: &str| {
            let out = dir.join(name);
            run(&SampleArgs {
                count: 50,
                out: out.clone(),
                groups: None,
                memberships: None,
                seed: 7,
            })
            .unwrap();
            std::fs::read(out).unwrap()
        };
        let a = write("a.csv");
        assert_eq!(a, write("b.csv"));
        assert_eq!(a.iter().filter(|b| **b == b'\n').count(), 51);
        std::fs::remove_dir_all(dir).unwrap();
    }
}
