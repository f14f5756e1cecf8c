//! Any sequence of snapshots, synced one after another, leaves the emulator equal to the
//! last one: active = in the snapshot, deactivated = seen before and absent now.

use std::collections::BTreeSet;

use okta_idsrc_emulator::{DEFAULT_IDENTITY_SOURCE, Emulator};
use proptest::prelude::*;

use crate::support::{Directory, Person, assert_holds, state, sync};

const PEOPLE: usize = 24;
const GROUPS: usize = 4;

/// One day: who is there (with which title), which groups (with which name), who is in
/// which group.
fn day() -> impl Strategy<Value = Directory> {
    (
        prop::collection::vec(prop::option::of(0..3usize), PEOPLE),
        prop::collection::vec(prop::option::of(0..2usize), GROUPS),
        prop::collection::vec(any::<bool>(), PEOPLE * GROUPS),
    )
        .prop_map(|(people, groups, members)| {
            let mut d = Directory::default();
            for (i, title) in people.iter().enumerate() {
                if let Some(t) = title {
                    let mut p = Person::new(i);
                    p.title = ["Engineer", "Manager", "Director"][*t].to_owned();
                    d.people.insert(p.id.clone(), p);
                }
            }
            for (j, name) in groups.iter().enumerate() {
                if let Some(n) = name {
                    d.groups
                        .insert(format!("grp-{j:03}"), format!("Group {j} v{n}"));
                }
            }
            for (k, member) in members.iter().enumerate() {
                let (i, j) = (k % PEOPLE, k / PEOPLE);
                let (person, group) = (Person::new(i).id, format!("grp-{j:03}"));
                if *member && d.people.contains_key(&person) && d.groups.contains_key(&group) {
                    d.memberships.insert((group, person));
                }
            }
            d
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 8, ..ProptestConfig::default() })]

    #[test]
    fn the_emulator_ends_equal_to_the_last_snapshot(days in prop::collection::vec(day(), 1..5)) {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(async {
            let emulator = Emulator::builder().seed(1).start().await.expect("emulator");
            let (store, id, target) = state(&emulator);
            let mut seen: BTreeSet<String> = BTreeSet::new();
            let mut last = Directory::default();
            for day in &days {
                match sync(&emulator, &store, id, &target, day, true).await {
                    Ok(_) => {
                        seen.extend(day.people.keys().cloned());
                        last = day.clone();
                    }
                    // A day with an empty file of a kind an earlier day had is held
                    // (nothing sent).
                    Err(e) => assert!(
                        e.exit_code() == 3
                            && (day.people.is_empty()
                                || day.groups.is_empty()
                                || day.memberships.is_empty()),
                        "{e}"
                    ),
                }
            }
            assert_holds(&emulator, &last);
            let snapshot = emulator.state();
            let source = snapshot.identity_source(DEFAULT_IDENTITY_SOURCE).expect("source");
            let inactive: BTreeSet<String> = source
                .users
                .iter()
                .filter(|u| !u.active)
                .map(|u| u.external_id.clone())
                .collect();
            let expected: BTreeSet<String> = seen
                .iter()
                .filter(|id| !last.people.contains_key(*id))
                .cloned()
                .collect();
            assert_eq!(inactive, expected, "deactivated: seen before, absent now");
            emulator.shutdown().await;
        });
    }
}
