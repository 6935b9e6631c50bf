//! The cost of one access decision (target: at most 50 ns on the project's 2-core machine).
//! Run: `cargo bench -p app --bench decide`.

use app::access::{Access, BuiltinRole, Permission, Requirement, decide};
use app::endpoints::Column;
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;

fn decisions(c: &mut Criterion) {
    let owner: Access = Column::Role(BuiltinRole::Owner).access(true, true);
    let analyst: Access = Column::Role(BuiltinRole::Analyst).access(false, false);
    let settings = Requirement::all(&[Permission::OrgSettingsManage]);
    let revenue = Requirement::all(&[Permission::AnalyticsView, Permission::AnalyticsViewRevenue]).with_step_up();
    let any = Requirement::any(&[Permission::InvoicesRead, Permission::AnalyticsView]);

    c.bench_function("decide: allowed (owner, settings)", |b| {
        b.iter(|| decide(black_box(Some(&owner)), black_box(&settings)))
    });
    c.bench_function("decide: denied (analyst, revenue + step-up)", |b| {
        b.iter(|| decide(black_box(Some(&analyst)), black_box(&revenue)))
    });
    c.bench_function("decide: any-of (analyst)", |b| b.iter(|| decide(black_box(Some(&analyst)), black_box(&any))));
    c.bench_function("decide: anonymous", |b| b.iter(|| decide(black_box(None), black_box(&settings))));
}

criterion_group!(benches, decisions);
criterion_main!(benches);
