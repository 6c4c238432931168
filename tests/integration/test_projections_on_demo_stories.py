"""The six DOMAIN.md stories, run end to end, show the expected moves, delays and measures."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from projections.agreements import AgreementQueries
from projections.clock import fixed_clock
from projections.delay_queries import DelayQueries
from projections.moves_queries import MovesQueries
from projections.performance_queries import PerformanceQueries
from services.bootstrap import Backbone
from services.demo.runner import run_all
from services.demo.stories import HEAD_TEACHER_PRISON_NUMBER, head_teacher

NOW = datetime(2025, 10, 1, tzinfo=UTC)
HEAD_TEACHER = str(head_teacher().case_id)


@pytest.fixture
def stories(backbone: Backbone) -> Iterator[Backbone]:
    run_all(backbone.commands)
    yield backbone


def test_the_transfer_out_of_area_hits_the_head_teachers_arranged_meeting(
    stories: Backbone,
) -> None:
    q = MovesQueries(stories.projections)
    [hit] = q.affected()
    assert (hit.case_id, hit.prison_number) == (HEAD_TEACHER, HEAD_TEACHER_PRISON_NUMBER)
    assert (hit.move, hit.from_prison, hit.to_prison, hit.out_of_area) == (
        "transfer",
        "LEI",
        "DAI",
        True,
    )
    assert "face to face conference conf-1 on 2023-06-15 at LEI" in hit.affects
    assert "prison access granted at LEI" in hit.affects
    assert "pre-visit done" in hit.affects


def test_the_release_flags_the_head_teachers_case_that_waited_for_it(stories: Backbone) -> None:
    [release] = MovesQueries(stories.projections).releases()
    assert release.case_id == HEAD_TEACHER
    assert (release.prison_id, release.released_at[:10]) == ("DAI", "2024-09-02")


def test_move_history_and_where_offenders_are(stories: Backbone) -> None:
    q = MovesQueries(stories.projections)
    custody = q.custody(HEAD_TEACHER_PRISON_NUMBER.lower())
    assert custody is not None and custody.status == "released"
    assert [(m.kind, m.prison_id) for m in custody.history] == [
        ("received", "LEI"),
        ("released", "LEI"),
        ("received", "DAI"),
        ("released", "DAI"),
    ]
    located = {c.prison_number: c for c in q.case_locations(open_only=False)}
    assert located["B7654LD"].current_prison == "LPI" and located["B7654LD"].in_area is True
    assert located[HEAD_TEACHER_PRISON_NUMBER].in_area is None  # released
    assert [c.prison_number for c in q.prison_cases("LPI")] == []  # that case is closed
    assert q.case_locations() == []  # no open case has an offender in prison


def test_the_head_teachers_delays_are_named_with_reason_and_age(stories: Backbone) -> None:
    q = DelayQueries(stories.projections, clock=fixed_clock(NOW))
    kinds = {b.kind: b for b in q.breaches() if b.case_id == HEAD_TEACHER}
    late = kinds["victim_details_late"]
    assert late.ended is not None and late.age_days > 100  # reported Nov 2022, passed Mar 2023
    moved = kinds["activity_moved_by_prison_move"]
    assert 500 < moved.age_days < 560  # cancelled June 2023, held December 2024: ~18 months
    wait = kinds["waiting_for_release"]
    assert (f"{wait.started:%Y-%m-%d}", f"{wait.ended:%Y-%m-%d}") == ("2023-09-11", "2024-09-02")
    assert "victim_not_updated" in kinds
    assert not [b for b in q.breaches(ongoing_only=True) if b.case_id == HEAD_TEACHER]


def test_only_the_open_fifteen_victims_case_has_ongoing_breaches(stories: Backbone) -> None:
    q = DelayQueries(stories.projections, clock=fixed_clock(NOW))
    ongoing = q.breaches(ongoing_only=True)
    assert {b.pcc_area for b in ongoing} == {"south-yorkshire"}
    assert sorted(b.reason.split()[1] for b in ongoing) == ["v01", "v02", "v03", "v04"]


def test_area_medians_and_stage_times(stories: Backbone) -> None:
    q = DelayQueries(stories.projections, clock=fixed_clock(NOW))
    medians = {m.pcc_area: m for m in q.area_medians()}
    assert medians["west-yorkshire"].referral_to_activity_days == pytest.approx(645.2)
    assert medians["merseyside"].referral_to_activity_days is None  # closed, not suitable
    stages = [s.stage for s in q.stage_times(HEAD_TEACHER)]
    assert stages[0] == "referred" and stages[-1] == "closed"


def test_the_agreement_register_alerts_reviews_and_lists_permitted_flows(
    stories: Backbone,
) -> None:
    q = AgreementQueries(stories.projections, fixed_clock(NOW))
    assert {s: [a.reference for a in rows] for s, rows in q.by_status().items()} == {
        "active": ["ISA-WY-RJ-001"],
        "draft": ["ISA-KENT-RJ-002"],
    }
    assert [(a.reference, alert) for a, alert in q.reviews_due()] == [("ISA-WY-RJ-001", "overdue")]
    spring = AgreementQueries(stories.projections, fixed_clock(datetime(2026, 3, 15, tzinfo=UTC)))
    assert "ISA-KENT-RJ-002" not in [a.reference for a, _ in spring.reviews_due()]  # a draft
    flows = q.permitted_flows()
    assert flows[("police:west-yorkshire", "pcc:west-yorkshire")] == [
        "offender_identity",
        "referral",
        "victim_contact",
        "victim_identity",
    ]
    assert not any(dst == "pcc:kent" for _, dst in flows)  # the Kent agreement is a draft
    assert q.withheld_shares() is None  # until the Kafka relay records share decisions


def test_area_performance_counts_every_activity_type_and_the_sensitive_case(
    stories: Backbone,
) -> None:
    by = {(m.pcc_area, m.period): m for m in PerformanceQueries(stories.projections).measures()}
    south = by[("south-yorkshire", "2024")]
    assert south.referrals("route") == {"offender_initiated": 1}
    assert south.counts["activity_held"] == {"letter": 1}
    assert sum(south.counts["offer"].values()) == 6 and south.take_up == pytest.approx(0.67)
    manchester = by[("greater-manchester", "2024")]
    assert manchester.counts["activity_held"] == {"shuttle": 1}
    assert len(manchester.sensitive_cases["enhanced_assessment"]) == 1
    assert not manchester.sensitive_cases["closed_not_suitable"]
    assert manchester.empowered == 1.0
    assert manchester.feedback("before")["overall"] == 3
    assert manchester.feedback("after")["overall"] == 5
    assert by[("merseyside", "2024")].completion == 0.0  # closed as not suitable
    assert by[("west-yorkshire", "2024")].feedback("after")["timeliness"] == 1
