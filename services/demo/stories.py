"""The six case stories of DOMAIN.md (from the Victims' Commissioner's review), as scripts.

Each story is what the agencies would send, in order, with realistic dates; the demo, the tests
and the benchmarks all run these same scripts.
"""

from __future__ import annotations

from datetime import UTC, datetime

from services.demo.script import Script

HUB_WY = "pcc:west-yorkshire"
PRISON_LEI = "prison:LEI"
POLICE_WY = "police:west-yorkshire"
PROBATION_YH = "probation:yorkshire-and-the-humber"

HEAD_TEACHER_PRISON_NUMBER = "A1234HT"


def _at(y: int, m: int, d: int, h: int = 10) -> datetime:
    return datetime(y, m, d, h, tzinfo=UTC)


def _prepare(s: Script, hub: str, victims: list[str], offender: str = "o1") -> None:
    """Responsibility, written consent and a standard assessment for a simple case."""
    s.send(hub, "accept_responsibility", participant_id=offender).advance(days=2)
    for pid in [*victims, offender]:
        s.send(hub, "record_consent", participant_id=pid, form_reference=f"CF-{s.story}-{pid}")
        s.send(hub, "record_assessment", participant_id=pid, level="standard", outcome="suitable")
    s.advance(days=3)


def head_teacher() -> Script:
    """Meeting lost to an out-of-area transfer; it happened only after release, 18 months on."""
    s = Script(
        "head-teacher",
        "The head teacher whose meeting was lost to a prison transfer",
        _at(2023, 1, 20),
    )
    s.move(HEAD_TEACHER_PRISON_NUMBER, True, "ADMISSION", "LEI").advance(days=40)
    s.send(
        POLICE_WY,
        "refer_case",
        route="police",
        cjs_stage="custody",
        crime_type="burglary",
        pcc_area="west-yorkshire",
        crime_reported_on="2022-11-02",
        summary="Repeated burglary of a primary school; the head teacher wants to be heard",
    )
    s.send(
        POLICE_WY,
        "add_participant",
        participant_id="v1",
        role="victim",
        name="Mrs A. (head teacher)",
        contact="school office",
    )
    s.send(
        POLICE_WY,
        "add_participant",
        participant_id="o1",
        role="offender",
        name="Mr B.",
        prison_number=HEAD_TEACHER_PRISON_NUMBER,
    )
    s.send(POLICE_WY, "inform_victim", participant_id="v1")
    s.send(POLICE_WY, "pass_victim_details", participant_id="v1", to_agency=HUB_WY).advance(days=3)
    s.send(HUB_WY, "record_contact", participant_id="v1", method="phone", reached=True)
    s.send(HUB_WY, "record_contact", participant_id="o1", method="prison visit", reached=True)
    _prepare(s, HUB_WY, ["v1"])
    s.send(
        HUB_WY,
        "assign_facilitators",
        facilitators=["fac-amy", "fac-raj"],
        matched_on=["locality", "education sector"],
    )
    s.send(
        HUB_WY, "choose_activity_type", activity_type="face_to_face_conference", preferred_by="v1"
    )
    s.send(HUB_WY, "set_venue", kind="prison", name="HMP Leeds", prison_code="LEI")
    s.send(HUB_WY, "request_prison_access", prison_code="LEI").advance(days=12)
    s.send(PRISON_LEI, "decide_prison_access", granted=True).advance(days=7)
    s.send(HUB_WY, "record_pre_visit", participant_id="v1").advance(days=5)
    s.send(
        HUB_WY,
        "schedule_activity",
        activity_id="conf-1",
        participant_ids=["v1", "o1"],
        scheduled_for=_at(2023, 6, 15).isoformat(),
    )
    s.clock = _at(2023, 6, 12, 7)
    s.move(HEAD_TEACHER_PRISON_NUMBER, False, "TRANSFERRED", "LEI")
    s.move(HEAD_TEACHER_PRISON_NUMBER, True, "TRANSFERRED", "DAI").advance(days=1)
    s.send(
        HUB_WY,
        "cancel_activity",
        activity_id="conf-1",
        reason_code="prisoner_moved",
        reason="offender transferred to HMP Dartmoor, outside West Yorkshire",
    )
    s.send(
        HUB_WY,
        "update_victim",
        participant_id="v1",
        reason_code="prisoner_moved",
        reason="the meeting is off: the offender was moved to Dartmoor",
    ).advance(days=90)
    s.send(
        HUB_WY,
        "update_victim",
        participant_id="v1",
        reason_code="awaiting_release",
        reason="Dartmoor cannot host the conference; we will meet after release",
    )
    s.clock = _at(2024, 9, 2, 8)
    s.move(HEAD_TEACHER_PRISON_NUMBER, False, "RELEASED", "DAI").advance(days=30)
    s.send(HUB_WY, "set_venue", kind="community", name="Leeds community mediation centre")
    s.send(
        HUB_WY,
        "schedule_activity",
        activity_id="conf-2",
        participant_ids=["v1", "o1"],
        scheduled_for=_at(2024, 12, 5).isoformat(),
    )
    s.clock = _at(2024, 12, 5, 16)
    s.send(HUB_WY, "record_activity_held", activity_id="conf-2")
    s.send(HUB_WY, "record_outcome_agreement", terms=["letter of apology to the school"])
    s.advance(days=14)
    s.send(
        HUB_WY,
        "record_feedback",
        participant_id="v1",
        stage="after",
        felt_empowered=True,
        ratings={"facilitator": 5, "timeliness": 1, "venue": 4, "information": 3, "overall": 4},
    )
    s.send(HUB_WY, "close_case", reason="completed", detail="conference held after release")
    return s


def fifteen_victims() -> Script:
    """Offender-initiated, 15 victims: 6 contactable, 3 accepted, 3 declined for now."""
    hub = "pcc:south-yorkshire"
    s = Script("fifteen-victims", "The offender with 15 victims", _at(2024, 2, 5))
    s.send(
        PROBATION_YH,
        "refer_case",
        route="offender_initiated",
        cjs_stage="post_sentence_community",
        crime_type="burglary",
        pcc_area="south-yorkshire",
        crime_reported_on=None,
        summary="Series of 15 domestic burglaries",
    )
    s.send(PROBATION_YH, "add_participant", participant_id="o1", role="offender", name="Mr C.")
    victims = [f"v{i:02d}" for i in range(1, 16)]
    for v in victims:
        s.send(hub, "add_participant", participant_id=v, role="victim", name=f"Householder {v}")
    s.advance(days=10)
    for i, v in enumerate(victims):
        s.send(hub, "record_contact", participant_id=v, method="letter", reached=i < 6)
    accepted, declined = victims[:3], victims[3:6]
    for v in declined:
        s.send(hub, "decline", participant_id=v, reason="not ready to take part now")
    _prepare(s, hub, accepted)
    s.send(hub, "assign_facilitators", facilitators=["fac-lee", "fac-sam"], matched_on=["locality"])
    s.send(hub, "choose_activity_type", activity_type="letter", preferred_by="v01")
    s.send(
        hub,
        "schedule_activity",
        activity_id="letters-1",
        participant_ids=[*accepted, "o1"],
        scheduled_for=_at(2024, 4, 2).isoformat(),
    )
    s.clock = _at(2024, 4, 2, 15)
    s.send(hub, "record_activity_held", activity_id="letters-1").advance(days=60)
    s.send(hub, "re_engage", participant_id="v04")
    s.send(hub, "record_consent", participant_id="v04", form_reference="CF-fifteen-v04")
    return s


def domestic_abuse() -> Script:
    """The victim asked for RJ; an enhanced assessment, not a blanket exclusion."""
    hub = "pcc:greater-manchester"
    s = Script("domestic-abuse", "The domestic-abuse victim who asked for RJ", _at(2024, 5, 7))
    s.send(
        hub,
        "refer_case",
        route="victim_self_referral",
        cjs_stage="post_sentence_community",
        crime_type="domestic_abuse",
        pcc_area="greater-manchester",
        crime_reported_on="2023-10-01",
        summary="Victim asked for RJ with her former partner",
    )
    s.send(hub, "add_participant", participant_id="v1", role="victim", name="Ms D.")
    s.send(hub, "add_participant", participant_id="o1", role="offender", name="Mr E.")
    s.send(hub, "record_contact", participant_id="o1", method="probation office", reached=True)
    s.send(hub, "accept_responsibility", participant_id="o1")
    for pid in ("v1", "o1"):
        s.send(hub, "record_consent", participant_id=pid, form_reference=f"CF-da-{pid}")
        s.send(
            hub,
            "record_assessment",
            participant_id=pid,
            level="enhanced",
            outcome="suitable_with_conditions",
            conditions=["no direct contact", "specialist domestic abuse facilitator"],
        )
    s.send(hub, "refer_for_support", participant_id="v1", need="crime_specific", provider="IDVA")
    s.send(
        hub,
        "assign_facilitators",
        facilitators=["fac-da-1", "fac-da-2"],
        matched_on=["domestic abuse specialism"],
    )
    s.send(hub, "choose_activity_type", activity_type="shuttle", preferred_by="v1")
    s.send(
        hub,
        "record_feedback",
        participant_id="v1",
        stage="before",
        felt_empowered=False,
        ratings={"facilitator": 4, "information": 4, "overall": 3},
    )
    s.send(
        hub,
        "schedule_activity",
        activity_id="shuttle-1",
        participant_ids=["v1", "o1"],
        scheduled_for=_at(2024, 7, 1).isoformat(),
    )
    s.clock = _at(2024, 7, 1, 17)
    s.send(hub, "record_activity_held", activity_id="shuttle-1").advance(days=21)
    s.send(
        hub,
        "record_feedback",
        participant_id="v1",
        stage="after",
        felt_empowered=True,
        ratings={"facilitator": 5, "information": 5, "overall": 5, "timeliness": 4},
    )
    s.send(hub, "close_case", reason="completed", detail="shuttle RJ completed safely")
    return s


def meeting_to_letter() -> Script:
    """The offender switched from a meeting to a letter the day before."""
    hub = "pcc:lancashire"
    s = Script(
        "meeting-to-letter", "The offender who switched to a letter the day before", _at(2024, 3, 4)
    )
    s.send(
        "police:lancashire",
        "refer_case",
        route="police",
        cjs_stage="post_sentence_community",
        crime_type="criminal_damage",
        pcc_area="lancashire",
        crime_reported_on="2024-03-01",
        summary="Damage to a neighbour's car",
    )
    s.send(hub, "add_participant", participant_id="v1", role="victim", name="Mr F.")
    s.send(hub, "add_participant", participant_id="o1", role="offender", name="Ms G.")
    _prepare(s, hub, ["v1"])
    s.send(hub, "choose_activity_type", activity_type="face_to_face_conference", preferred_by="v1")
    s.send(hub, "set_venue", kind="community", name="Preston community hall")
    s.send(
        hub,
        "schedule_activity",
        activity_id="conf-1",
        participant_ids=["v1", "o1"],
        scheduled_for=_at(2024, 4, 18).isoformat(),
    )
    s.clock = _at(2024, 4, 17, 9)
    s.send(
        hub,
        "choose_activity_type",
        activity_type="letter",
        preferred_by="o1",
        reason="offender too anxious to meet; asked to write instead",
    )
    s.send(
        hub,
        "cancel_activity",
        activity_id="conf-1",
        reason_code="participant_choice",
        reason="offender chose a letter the day before",
    )
    s.send(
        hub,
        "update_victim",
        participant_id="v1",
        reason_code="participant_choice",
        reason="the offender will write to you instead of meeting",
    )
    s.send(
        hub,
        "schedule_activity",
        activity_id="letter-1",
        participant_ids=["v1", "o1"],
        scheduled_for=_at(2024, 5, 1).isoformat(),
    )
    s.clock = _at(2024, 5, 1, 12)
    s.send(hub, "record_activity_held", activity_id="letter-1")
    s.send(hub, "close_case", reason="completed", detail="letter delivered and read")
    return s


def learning_difficulties() -> Script:
    """The offender's learning difficulties made RJ unsuitable, after an assessment."""
    hub = "pcc:merseyside"
    s = Script(
        "learning-difficulties",
        "The offender whose learning difficulties made RJ unsuitable",
        _at(2024, 1, 15),
    )
    s.move("B7654LD", True, "ADMISSION", "LPI").advance(days=1)
    s.send(
        "prison:LPI",
        "refer_case",
        route="prison",
        cjs_stage="custody",
        crime_type="robbery",
        pcc_area="merseyside",
        crime_reported_on="2023-08-20",
        summary="Street robbery",
    )
    s.send(hub, "add_participant", participant_id="v1", role="victim", name="Mr H.")
    s.send(
        hub,
        "add_participant",
        participant_id="o1",
        role="offender",
        name="Mr J.",
        prison_number="B7654LD",
    )
    s.send(hub, "record_contact", participant_id="o1", method="prison visit", reached=True)
    s.send(
        hub,
        "record_vulnerability",
        participant_id="o1",
        vulnerability="learning_difficulty",
        notes="severe learning difficulty; needs an advocate",
    )
    s.advance(days=20)
    s.send(
        hub,
        "record_assessment",
        participant_id="o1",
        level="standard",
        outcome="not_suitable",
        reasons=["cannot follow the process or its consequences, even with adjustments"],
    )
    s.send(
        hub,
        "update_victim",
        participant_id="v1",
        reason_code="assessment",
        reason="the assessment found RJ would not be safe or meaningful",
    )
    s.send(hub, "close_case", reason="not_suitable", detail="offender assessed not suitable")
    return s


def bereaved_teenager() -> Script:
    """A bereaved 16-year-old, supported by a youth worker; conference in the school holidays."""
    hub = "pcc:kent"
    s = Script(
        "bereaved-teenager", "The bereaved 16-year-old and the youth worker", _at(2025, 4, 1)
    )
    s.send(
        "police:kent",
        "refer_case",
        route="police",
        cjs_stage="post_sentence_community",
        crime_type="driving",
        pcc_area="kent",
        crime_reported_on="2024-09-14",
        summary="Death by careless driving of the young person's father",
    )
    s.send(
        "police:kent",
        "add_participant",
        participant_id="v1",
        role="victim",
        name="K. (16)",
        is_child=True,
    )
    s.send(
        hub,
        "add_participant",
        participant_id="s1",
        role="supporter",
        name="Youth worker L.",
        supports="v1",
    )
    s.send(hub, "add_participant", participant_id="o1", role="offender", name="Mr M.")
    s.send(hub, "refer_for_support", participant_id="v1", need="youth", provider="youth service")
    s.send(hub, "record_consent", participant_id="s1", form_reference="CF-teen-s1")
    s.send(hub, "record_assessment", participant_id="s1", level="standard", outcome="suitable")
    _prepare(s, hub, ["v1"])
    s.send(
        hub,
        "assign_facilitators",
        facilitators=["fac-jo", "fac-kim"],
        matched_on=["young people", "bereavement"],
    )
    s.send(hub, "choose_activity_type", activity_type="face_to_face_conference", preferred_by="v1")
    s.send(hub, "set_venue", kind="community", name="Canterbury youth centre")
    s.send(
        hub,
        "record_feedback",
        participant_id="v1",
        stage="before",
        felt_empowered=False,
        ratings={"information": 4, "facilitator": 5},
    )
    s.send(
        hub,
        "schedule_activity",
        activity_id="conf-1",
        participant_ids=["v1", "s1", "o1"],
        scheduled_for=_at(2025, 8, 6).isoformat(),
    )
    s.clock = _at(2025, 8, 6, 15)
    s.send(hub, "record_activity_held", activity_id="conf-1")
    s.send(hub, "record_outcome_agreement", terms=["offender to speak at a road-safety course"])
    s.advance(days=30)
    s.send(hub, "record_follow_up", participant_id="v1", notes="back at school, doing well")
    s.send(
        hub,
        "record_feedback",
        participant_id="v1",
        stage="after",
        felt_empowered=True,
        ratings={"facilitator": 5, "timeliness": 4, "venue": 5, "information": 5, "overall": 5},
    )
    s.send(hub, "close_case", reason="completed", detail="conference held in the summer holidays")
    return s


STORIES = (
    head_teacher,
    fifteen_victims,
    domestic_abuse,
    meeting_to_letter,
    learning_difficulties,
    bereaved_teenager,
)


def sharing_agreements() -> Script:
    """The West Yorkshire RJ agreement (active, review overdue) and a draft one in Kent."""
    s = Script("agreements", "Information-sharing agreements", _at(2022, 12, 1))
    ref = "ISA-WY-RJ-001"
    parties = [
        {"agency": POLICE_WY, "role": "controller"},
        {"agency": HUB_WY, "role": "joint_controller"},
        {"agency": PRISON_LEI, "role": "controller"},
    ]
    grants = [
        {
            "from_agency": POLICE_WY,
            "to_agency": HUB_WY,
            "categories": ["referral", "victim_identity", "victim_contact", "offender_identity"],
        },
        {
            "from_agency": HUB_WY,
            "to_agency": PRISON_LEI,
            "categories": ["activity", "prison_access", "offender_identity", "case_status"],
        },
        {
            "from_agency": PRISON_LEI,
            "to_agency": HUB_WY,
            "categories": ["custody", "prison_access", "activity", "case_status"],
        },
    ]
    terms = {
        "title": "West Yorkshire restorative justice information sharing",
        "lead": HUB_WY,
        "parties": parties,
        "purpose": "Offer and deliver restorative justice to victims in West Yorkshire",
        "data_subject_groups": ["victims", "offenders", "supporters"],
        "grants": grants,
        "special_category": True,
        "criminal_offence_data": True,
        "lawful_basis": "uk_gdpr_6_1_e_public_task",
        "powers": "Crime and Disorder Act 1998 s115; Victims' Code",
        "retention": "6 years after case closure, then deleted",
        "effective_from": "2023-01-01",
        "review_due": "2025-01-01",
    }
    s.send(HUB_WY, "draft_agreement", reference=ref, terms=terms)
    for party in parties:
        s.send(
            party["agency"],
            "sign_agreement",
            reference=ref,
            signatory=f"Information governance lead, {party['agency']}",
        )
    s.clock = _at(2023, 1, 3)
    s.send(HUB_WY, "activate_agreement", reference=ref)
    kent = {
        **terms,
        "title": "Kent RJ hub and Kent Police",
        "lead": "pcc:kent",
        "parties": [
            {"agency": "police:kent", "role": "controller"},
            {"agency": "pcc:kent", "role": "joint_controller"},
        ],
        "grants": [
            {
                "from_agency": "police:kent",
                "to_agency": "pcc:kent",
                "categories": ["referral", "victim_identity", "victim_contact"],
            }
        ],
        "effective_from": "2025-06-01",
        "review_due": "2026-06-01",
    }
    s.send("pcc:kent", "draft_agreement", reference="ISA-KENT-RJ-002", terms=kent)
    return s
