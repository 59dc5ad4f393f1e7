"""Demo data: a fictional children's safeguarding partnership monitoring four reviews.

Everything here is written by us and clearly fictional ("Northbridge" does not exist). The
content follows the shape of real monitoring: an SCR about online grooming and child sexual
exploitation (like the Bradford "Jack" review of 2017), a neglect LCSPR, a SAR and a DHR, with ten
agencies, about 30 recommendations, about 100 actions and 18 months of dated progress updates ending
at the anchor date. Dates are relative to the anchor, so the demo always has overdue, due-soon and
completed work. The same anchor always gives the same data.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta
from sqlalchemy import Engine, insert

from monitoring import auth, db
from monitoring.importer.agencies import normalise_alias

DEMO_PASSWORDS = {
    "admin@northbridge.example": ("Alex Admin", "admin", None, "demo-admin-pass"),
    "board@northbridge.example": ("Bola Board-Chair", "board", None, "demo-board-pass"),
    "assurer@northbridge.example": ("Asha Assurer", "assurer", None, "demo-assurer-pass"),
    "police.lead@northbridge.example": ("Pat Police-Lead", "agency_lead", "POL", "demo-lead-pass"),
    "csc.lead@northbridge.example": ("Chris Care-Lead", "agency_lead", "CSC", "demo-lead-pass"),
    "viewer@northbridge.example": ("Vic Viewer", "viewer", None, "demo-viewer-pass"),
}
"""Demo accounts: e-mail → (display name, role, agency short name, password). Given in README."""

AGENCIES = [
    # short, name, sector, statutory partner
    ("POL", "Northbridge Police", "police", True),
    ("CSC", "Northbridge Council Children's Social Care", "local authority", True),
    ("ICB", "Northbridge Integrated Care Board", "health", True),
    ("ACUTE", "Northbridge Teaching Hospitals NHS Trust", "health", False),
    ("MH", "Northbridge Mental Health NHS Foundation Trust", "health", False),
    ("EDU", "Northbridge Schools and Education Service", "education", False),
    ("PROB", "Probation Service (Northbridge)", "criminal justice", False),
    ("HOUS", "Northbridge Homes", "housing", False),
    ("VCS", "Safe Steps Northbridge (voluntary sector)", "voluntary", False),
    ("BU", "Northbridge Safeguarding Partnership Business Unit", "partnership", False),
]

ALIASES = {
    "POL": ["Police", "Northbridge Constabulary"],
    "CSC": ["Children's Social Care", "CSC", "Childrens Services"],
    "ICB": ["ICB", "Integrated Care Board"],
    "ACUTE": ["Acute Trust", "NTH"],
    "MH": ["Mental Health Trust"],
    "EDU": ["Education", "Schools"],
    "PROB": ["Probation"],
    "HOUS": ["Housing"],
    "VCS": ["Safe Steps"],
    "BU": ["Business Unit", "Partnership Business Unit"],
}

THEMES = [
    "Technology-assisted abuse",
    "Use of child protection procedures",
    "Quality of the initial response",
    "Family support",
    "Leadership and planning",
    "Neglect",
    "Information sharing",
    "Mental capacity",
    "Domestic abuse",
    "Professional curiosity",
]

# ref, title, type, months before anchor, summary, recommendations
# recommendation: (title, text, themes, national_dependency, [(agency, action description, measure)])
REVIEWS = [
    (
        "NSCP-SCR-K",
        'Serious Case Review: "Kieran"',
        "SCR",
        20,
        "Kieran was sexually exploited from the age of 13 by adults he met through online games "
        "and social media. Agencies missed chances to see the pattern over three years.",
        [
            (
                "Online harm in assessments",
                "Children's social care should ensure every assessment of a child at risk of "
                "exploitation asks about online contact, apps used and devices owned.",
                ["Technology-assisted abuse", "Quality of the initial response"],
                False,
                [
                    (
                        "CSC",
                        "Add online-contact questions to the single assessment template",
                        "Template live in case system",
                    ),
                    (
                        "CSC",
                        "Audit 30 assessments for online-harm questions",
                        "90% of audited assessments include them",
                    ),
                    (
                        "BU",
                        "Publish a practice briefing on online grooming",
                        "Briefing read by 500 practitioners",
                    ),
                ],
            ),
            (
                "Digital investigation capacity",
                "The police should ensure devices seized in child exploitation enquiries are "
                "examined within 28 days.",
                ["Technology-assisted abuse"],
                False,
                [
                    ("POL", "Recruit two additional digital forensic examiners", "Posts filled"),
                    (
                        "POL",
                        "Introduce a triage tool for seized devices",
                        "Median examination time under 28 days",
                    ),
                    (
                        "POL",
                        "Report device backlog monthly to the partnership",
                        "Monthly figures received for 6 months",
                    ),
                ],
            ),
            (
                "Strategy discussions when exploitation is suspected",
                "Partners should hold a strategy discussion whenever a child is suspected to be at "
                "risk of sexual exploitation, not only when a crime is reported.",
                ["Use of child protection procedures"],
                False,
                [
                    (
                        "CSC",
                        "Revise the exploitation pathway to require a strategy discussion",
                        "Procedure published",
                    ),
                    (
                        "POL",
                        "Brief public protection staff on the revised pathway",
                        "All PPU staff briefed",
                    ),
                    (
                        "ICB",
                        "Ensure named nurses attend exploitation strategy discussions",
                        "Attendance above 85%",
                    ),
                ],
            ),
            (
                "Missing episodes",
                "Return home interviews should be offered within 72 hours of every missing episode "
                "and their intelligence shared with the police.",
                ["Quality of the initial response", "Information sharing"],
                False,
                [
                    (
                        "CSC",
                        "Commission return home interviews with a 72-hour standard",
                        "Contract in place",
                    ),
                    (
                        "VCS",
                        "Deliver return home interviews and share intelligence forms",
                        "80% within 72 hours",
                    ),
                    (
                        "POL",
                        "Map missing episodes against intelligence on known adults",
                        "Quarterly mapping report",
                    ),
                ],
            ),
            (
                "Schools' response to online disclosures",
                "Schools should train designated safeguarding leads to respond to disclosures of "
                "online abuse, including image sharing.",
                ["Technology-assisted abuse", "Professional curiosity"],
                False,
                [
                    (
                        "EDU",
                        "Train designated safeguarding leads on online abuse",
                        "95% of schools trained",
                    ),
                    (
                        "EDU",
                        "Add online abuse to the annual section 175 audit",
                        "Audit returns analysed",
                    ),
                ],
            ),
            (
                "Support for families",
                "Parents of exploited children should be offered a named worker and peer support.",
                ["Family support"],
                False,
                [
                    ("VCS", "Set up a parents' peer-support group", "Group running monthly"),
                    (
                        "CSC",
                        "Allocate a named family worker at the first strategy discussion",
                        "Named worker in 90% of cases",
                    ),
                ],
            ),
            (
                "Health responses to repeat attendances",
                "Emergency departments should flag repeat attendances of adolescents with injuries "
                "or intoxication to the safeguarding team.",
                ["Quality of the initial response", "Professional curiosity"],
                False,
                [
                    (
                        "ACUTE",
                        "Add an adolescent repeat-attendance flag to the ED system",
                        "Flag live",
                    ),
                    (
                        "ACUTE",
                        "Audit flagged attendances for referrals",
                        "Audit presented to board",
                    ),
                ],
            ),
            (
                "Leadership oversight of drift",
                "Senior leaders should review every open exploitation case older than six months.",
                ["Leadership and planning"],
                False,
                [
                    (
                        "CSC",
                        "Introduce a six-monthly senior review of open exploitation cases",
                        "Reviews recorded",
                    ),
                    ("BU", "Report drift findings to the partnership executive", "Report received"),
                ],
            ),
            (
                "Regulation of online platforms",
                "The partnership should write to the national government asking that platforms be "
                "required to report grooming of children.",
                ["Technology-assisted abuse", "Leadership and planning"],
                True,
                [
                    (
                        "BU",
                        "Write to the Home Office and DSIT with the review's findings",
                        "Letter sent and reply received",
                    ),
                ],
            ),
            (
                "Evaluation of impact",
                "The partnership should re-audit practice with exploited children one year on.",
                ["Leadership and planning"],
                False,
                [
                    (
                        "BU",
                        "Carry out a multi-agency re-audit of exploitation cases",
                        "Re-audit report to board",
                    ),
                ],
            ),
        ],
    ),
    (
        "NSCP-LCSPR-2025-01",
        "Local Child Safeguarding Practice Review: Family M (neglect)",
        "LCSPR",
        14,
        "Four children lived with chronic neglect for several years; help was offered episodically "
        "and closed when parents disengaged.",
        [
            (
                "Recognising cumulative neglect",
                "All agencies should use the Graded Care Profile 2 where neglect is suspected.",
                ["Neglect", "Professional curiosity"],
                False,
                [
                    ("CSC", "Train social workers in Graded Care Profile 2", "200 staff trained"),
                    (
                        "ICB",
                        "Train health visitors and school nurses in GCP2",
                        "90% of staff trained",
                    ),
                    (
                        "EDU",
                        "Offer GCP2 awareness to school staff",
                        "Session attended by 60 schools",
                    ),
                ],
            ),
            (
                "Case closure when families disengage",
                "Cases should not be closed because parents disengage without a multi-agency review.",
                ["Use of child protection procedures", "Neglect"],
                False,
                [
                    ("CSC", "Amend the case closure policy", "Policy approved"),
                    ("BU", "Audit closures after disengagement", "Audit complete"),
                ],
            ),
            (
                "Chronologies",
                "Multi-agency chronologies should be started whenever a child is on a plan for "
                "neglect.",
                ["Information sharing", "Neglect"],
                False,
                [
                    ("CSC", "Add a shared chronology to the case system", "Feature in use"),
                    (
                        "ICB",
                        "Provide health chronologies within 10 days of request",
                        "90% within 10 days",
                    ),
                ],
            ),
            (
                "Housing conditions",
                "Housing officers should refer homes in very poor condition with children present.",
                ["Neglect", "Professional curiosity"],
                False,
                [
                    ("HOUS", "Train housing officers to recognise neglect", "All officers trained"),
                    (
                        "HOUS",
                        "Add a safeguarding referral prompt to inspection visits",
                        "Prompt in use",
                    ),
                ],
            ),
            (
                "Dental and health neglect",
                "Missed health appointments for children should trigger follow-up.",
                ["Neglect", "Family support"],
                False,
                [
                    (
                        "ICB",
                        "Introduce a was-not-brought policy in community health",
                        "Policy live",
                    ),
                    ("ACUTE", "Adopt the was-not-brought policy in outpatients", "Policy live"),
                ],
            ),
            (
                "Early help offer",
                "Families should have an early help assessment before escalation is considered.",
                ["Family support"],
                False,
                [
                    ("CSC", "Expand the early help team", "Four posts recruited"),
                    (
                        "VCS",
                        "Provide family mentoring for families stepping down",
                        "30 families supported",
                    ),
                ],
            ),
            (
                "Voice of the child",
                "Practitioners should record the child's words and daily experience in every plan.",
                ["Professional curiosity"],
                False,
                [
                    ("CSC", "Audit plans for the child's voice", "Audit shows improvement"),
                    ("EDU", "Share pupil voice tools with schools", "Tools distributed"),
                ],
            ),
            (
                "Neglect strategy",
                "The partnership should refresh its neglect strategy.",
                ["Leadership and planning", "Neglect"],
                False,
                [
                    ("BU", "Refresh and launch the neglect strategy", "Strategy launched"),
                ],
            ),
        ],
    ),
    (
        "NSAB-SAR-2025-02",
        'Safeguarding Adults Review: "Mr D"',
        "SAR",
        10,
        "Mr D, who had a learning disability and diabetes, died after self-neglect; agencies "
        "accepted his refusals without assessing his capacity.",
        [
            (
                "Mental capacity in self-neglect",
                "Practitioners should assess executive capacity when a person repeatedly refuses care.",
                ["Mental capacity", "Professional curiosity"],
                False,
                [
                    ("MH", "Deliver executive-capacity training", "300 staff trained"),
                    (
                        "ICB",
                        "Add capacity prompts to GP templates",
                        "Template live in 90% of practices",
                    ),
                ],
            ),
            (
                "Multi-agency risk management",
                "A multi-agency risk management meeting should be used for high-risk self-neglect.",
                ["Use of child protection procedures", "Leadership and planning"],
                False,
                [
                    (
                        "BU",
                        "Publish the multi-agency risk management protocol",
                        "Protocol published",
                    ),
                    (
                        "HOUS",
                        "Refer high-risk tenants to risk management meetings",
                        "Referrals recorded",
                    ),
                ],
            ),
            (
                "Hospital discharge",
                "Discharge of people who self-neglect should include a community plan.",
                ["Information sharing"],
                False,
                [
                    (
                        "ACUTE",
                        "Add a self-neglect check to the discharge checklist",
                        "Checklist updated",
                    ),
                    ("ACUTE", "Audit discharges of people who self-neglect", "Audit complete"),
                ],
            ),
            (
                "Annual health checks",
                "People with a learning disability should receive an annual health check.",
                ["Family support"],
                False,
                [
                    ("ICB", "Raise annual health check uptake", "Uptake above 75%"),
                ],
            ),
            (
                "Carers' views",
                "Carers should be asked for their view and offered an assessment.",
                ["Family support"],
                False,
                [
                    ("MH", "Add a carer's view section to care plans", "Section in use"),
                    ("VCS", "Offer carer support sessions", "Sessions running"),
                ],
            ),
            (
                "Learning into practice",
                "The board should test whether the learning has changed practice.",
                ["Leadership and planning"],
                False,
                [
                    ("BU", "Run learning events on the review", "Four events held"),
                    ("BU", "Re-audit self-neglect cases", "Re-audit to board"),
                ],
            ),
            (
                "Housing adaptations",
                "Adaptations for tenants with health needs should be completed within 12 weeks.",
                ["Neglect"],
                False,
                [
                    ("HOUS", "Set a 12-week adaptations standard", "Standard met in 80% of cases"),
                ],
            ),
        ],
    ),
    (
        "NCSP-DHR-2026-01",
        'Domestic Homicide Review: "Ms A"',
        "DHR",
        6,
        "Ms A was killed by her former partner; she had disclosed abuse to health services and "
        "her children's school.",
        [
            (
                "Routine enquiry about abuse",
                "Health services should ask routinely about domestic abuse.",
                ["Domestic abuse", "Professional curiosity"],
                False,
                [
                    (
                        "ACUTE",
                        "Introduce routine enquiry in maternity and ED",
                        "Enquiry recorded in 80% of contacts",
                    ),
                    ("ICB", "Train GPs in routine enquiry", "Training delivered"),
                ],
            ),
            (
                "MARAC referrals",
                "High-risk cases should be referred to MARAC within 5 days.",
                ["Domestic abuse", "Information sharing"],
                False,
                [
                    ("POL", "Monitor MARAC referral times", "90% within 5 days"),
                    ("VCS", "Provide IDVA support to every MARAC case", "IDVA allocated"),
                ],
            ),
            (
                "Perpetrator programmes",
                "Probation should offer behaviour change programmes to perpetrators on licence.",
                ["Domestic abuse"],
                False,
                [
                    (
                        "PROB",
                        "Increase places on the behaviour change programme",
                        "40 places a year",
                    ),
                ],
            ),
            (
                "Schools and Operation Encompass",
                "Schools should receive notifications of domestic abuse incidents by the next day.",
                ["Domestic abuse", "Information sharing"],
                False,
                [
                    (
                        "POL",
                        "Send Operation Encompass notices by 9am the next school day",
                        "95% on time",
                    ),
                    (
                        "EDU",
                        "Check each school has a key adult for notices",
                        "All schools confirmed",
                    ),
                ],
            ),
            (
                "Stalking",
                "Agencies should recognise stalking as a high-risk factor.",
                ["Domestic abuse", "Professional curiosity"],
                False,
                [
                    ("POL", "Train call handlers on stalking", "All call handlers trained"),
                    ("PROB", "Add stalking to risk assessments", "Assessments updated"),
                ],
            ),
            (
                "Housing options",
                "Victims should be offered safe housing options without a local connection test.",
                ["Domestic abuse", "Family support"],
                False,
                [
                    ("HOUS", "Remove the local connection test for victims", "Policy amended"),
                ],
            ),
        ],
    ),
]

OFFICERS = {
    "POL": (
        "Detective Chief Inspector, Public Protection",
        "Detective Inspector, Exploitation Team",
    ),
    "CSC": ("Head of Service, Safeguarding and Quality", "Service Manager, Exploitation"),
    "ICB": ("Designated Nurse for Safeguarding Children", "Designated Doctor for Safeguarding"),
    "ACUTE": ("Named Nurse for Safeguarding", "Named Midwife for Safeguarding"),
    "MH": ("Named Nurse for Safeguarding Adults", "Associate Director of Safeguarding"),
    "EDU": ("Head of Education Safeguarding", "Virtual School Head"),
    "PROB": ("Senior Probation Officer, Public Protection", "Head of Probation Delivery Unit"),
    "HOUS": ("Tenancy Services Manager", "Head of Housing Options"),
    "VCS": ("Domestic Abuse Services Manager", "IDVA Service Lead"),
    "BU": ("Partnership Business Manager", "Learning and Development Officer"),
}
"""Each agency's lead officers (job titles, never names), by agency short name: an action's is
one of its lead agency's, chosen by the action's id (no random draw: the rest of the demo is the
same whatever the titles)."""
NOTES_IN_PROGRESS = [
    "Work has started; a project lead is named and a plan agreed.",
    "Draft prepared and out for consultation with partners.",
    "Progress slower than planned because of staff vacancies.",
    "Half of the planned sessions delivered; the rest are booked.",
    "Data collected for the first quarter; report in preparation.",
]
NOTES_DONE = [
    "Completed: the new procedure is published on the partnership website.",
    "Completed: training figures attached; target met.",
    "Completed: audit presented to the learning and improvement subgroup.",
]
REASONS = [
    "Delayed by the case system upgrade",
    "Recruitment took longer than planned",
    "Waiting for the regional procedure to be agreed",
]

LONDON = ZoneInfo("Europe/London")


class DatabaseNotEmpty(RuntimeError):
    """The database already holds data and ``force`` was not given."""


def _ts(day: date, hour: int = 10) -> str:
    return datetime.combine(day, time(hour, 0), LONDON).astimezone(ZoneInfo("UTC")).isoformat()


def load_demo(engine: Engine, anchor: date, *, force: bool = False) -> dict[str, int]:
    """Load the demo data set, with 18 months of history ending at ``anchor``.

    :param anchor: the date the history runs up to (normally today).
    :param force: load even when the database already has data (existing rows are deleted first).
    :returns: rows written, by table name.
    :raises DatabaseNotEmpty: when the database has data and ``force`` is false.
    """
    if not db.is_empty(engine) and not force:
        raise DatabaseNotEmpty(
            "The database already has data; use --force to replace it with the demo data."
        )
    rnd = random.Random(20170601)
    counts: dict[str, int] = {}
    with db.write_transaction(engine) as conn:
        if force:
            for table in reversed(db.metadata.sorted_tables):
                if table.name != "data_version":
                    conn.execute(table.delete())

        def add(table, rows):
            if rows:
                conn.execute(insert(table), rows)
                counts[table.name] = counts.get(table.name, 0) + len(rows)

        created = _ts(anchor - relativedelta(months=21))
        agency_ids = {short: i for i, (short, *_rest) in enumerate(AGENCIES, start=1)}
        add(
            db.agency,
            [
                {
                    "id": agency_ids[s],
                    "name": n,
                    "short_name": s,
                    "sector": sec,
                    "is_statutory_partner": st,
                    "active": True,
                    "board_member_email": f"board.{s.lower()}@northbridge.example",
                }
                for s, n, sec, st in AGENCIES
            ],
        )
        add(
            db.agency_alias,
            [
                {"alias": normalise_alias(alias), "agency_id": agency_ids[s]}
                for s, aliases in ALIASES.items()
                for alias in [*aliases, dict((a[0], a[1]) for a in AGENCIES)[s]]
            ],
        )
        users = []
        for uid, (email, (name, role, agency_short, password)) in enumerate(
            DEMO_PASSWORDS.items(), start=1
        ):
            users.append(
                {
                    "id": uid,
                    "email": email,
                    "display_name": name,
                    "role": role,
                    "agency_id": agency_ids.get(agency_short) if agency_short else None,
                    "password_hash": auth.hash_password(password),
                    "active": True,
                    "failed_logins": 0,
                    "created_at": created,
                }
            )
        add(db.app_user, users)
        lead_user = {u["agency_id"]: u["id"] for u in users if u["role"] == "agency_lead"}
        theme_ids = {name: i for i, name in enumerate(THEMES, start=1)}
        add(db.theme, [{"id": i, "name": n} for n, i in theme_ids.items()])

        reviews, recs, rec_themes, actions, updates, changes = [], [], [], [], [], []
        rec_id = action_id = 0
        for review_id, (ref, title, rtype, months_ago, summary, rec_list) in enumerate(REVIEWS, 1):
            published = anchor - relativedelta(months=months_ago)
            reviews.append(
                {
                    "id": review_id,
                    "ref": ref,
                    "title": title,
                    "review_type": rtype,
                    "board": "Northbridge Safeguarding Children Partnership"
                    if rtype in ("SCR", "LCSPR")
                    else "Northbridge Safeguarding Adults Board"
                    if rtype == "SAR"
                    else "Northbridge Community Safety Partnership",
                    "published_on": published.isoformat(),
                    "status": "monitoring",
                    "summary": summary,
                    "source_url": None,
                    "created_at": _ts(published),
                }
            )
            for rec_no, (rtitle, rtext, rthemes, national, action_list) in enumerate(rec_list, 1):
                action_list = _with_assurance_actions(rtitle, action_list, national)
                rec_id += 1
                response_due = published + timedelta(days=56)
                responded = published + timedelta(days=rnd.randint(20, 50))
                recs.append(
                    {
                        "id": rec_id,
                        "review_id": review_id,
                        "number": str(rec_no),
                        "title": rtitle,
                        "text": rtext,
                        "scope": "national" if national else "local",
                        "priority": rnd.choice(["high", "medium", "medium", "low"]),
                        "addressed_to": ", ".join(sorted({a[0] for a in action_list})),
                        "response_status": "accepted",
                        "response_due_on": response_due.isoformat(),
                        "responded_on": min(responded, anchor).isoformat(),
                        "assurance_status": "not_assessed",
                        "national_dependency": national,
                        "version": 1,
                        "created_at": _ts(published),
                        "updated_at": _ts(published),
                    }
                )
                rec_themes += [
                    {"recommendation_id": rec_id, "theme_id": theme_ids[t]} for t in rthemes
                ]
                rec_actions = []
                for act_no, (agency_short, description, measure) in enumerate(action_list, 1):
                    action_id += 1
                    row, upd, chg = _demo_action(
                        rnd,
                        anchor=anchor,
                        published=published,
                        action_id=action_id,
                        review_id=review_id,
                        rec_id=rec_id,
                        number=f"{rec_no}.{act_no}",
                        description=description,
                        measure=measure,
                        agency_id=agency_ids[agency_short],
                        author_id=lead_user.get(agency_ids[agency_short], 1),
                        national=national,
                    )
                    rec_actions.append(row)
                    actions.append(row)
                    updates += upd
                    changes += chg
                delivered = [a for a in rec_actions if a["status"] in ("completed", "assured")]
                closed = all(a["status"] not in ("not_started", "in_progress") for a in rec_actions)
                if closed and delivered and rnd.random() < 0.6:
                    # the subgroup has seen evidence for the whole recommendation
                    updates += _assure_all(delivered, anchor)
                    recs[-1]["assurance_status"] = "assured"
                elif closed and delivered:
                    recs[-1]["assurance_status"] = "ready_for_assessment"
        # one recommendation still awaiting a response, with no actions yet (a data-quality flag)
        rec_id += 1
        recs.append(
            {
                "id": rec_id,
                "review_id": 4,
                "number": "7",
                "title": "Learning for faith and community groups",
                "text": "The partnership should offer domestic abuse awareness to faith and community groups.",
                "scope": "local",
                "priority": "medium",
                "addressed_to": "BU",
                "response_status": "awaiting",
                "response_due_on": (
                    anchor - relativedelta(months=6) + timedelta(days=56)
                ).isoformat(),
                "responded_on": None,
                "assurance_status": "not_assessed",
                "national_dependency": False,
                "version": 1,
                "created_at": _ts(anchor - relativedelta(months=2)),
                "updated_at": _ts(anchor - relativedelta(months=2)),
            }
        )
        rec_themes.append({"recommendation_id": rec_id, "theme_id": theme_ids["Domestic abuse"]})
        add(db.review, reviews)
        add(db.recommendation, recs)
        add(db.recommendation_theme, rec_themes)
        add(db.action, actions)
        add(db.action_update, updates)
        add(db.due_date_change, changes)
        meetings = []
        for i, months_ago in enumerate((9, 6, 3), start=1):
            meetings.append(
                {
                    "id": i,
                    "held_on": (anchor - relativedelta(months=months_ago)).isoformat(),
                    "title": f"Partnership board ({(anchor - relativedelta(months=months_ago)):%B %Y})",
                    "baseline_meeting_id": i - 1 if i > 1 else None,
                }
            )
        add(db.meeting, meetings)
        _add_measures(add, anchor, agency_ids)
        db.reset_sequences(conn)  # ids above were explicit: PostgreSQL's sequences must move on
    db.optimize(engine, after_write=True)
    return counts


def _assure_all(actions: list[dict], anchor: date) -> list[dict]:
    """Mark completed actions assured (in place) and return their dated assurance updates."""
    updates = []
    for row in actions:
        if row["status"] != "completed":
            continue
        assured_on = min(date.fromisoformat(row["completed_on"]) + timedelta(days=30), anchor)
        row["status"] = "assured"
        row["last_update_on"] = max(row["last_update_on"] or "", assured_on.isoformat())
        row["updated_at"] = _ts(assured_on, 16)
        updates.append(
            {
                "action_id": row["id"],
                "author_id": 3,
                "created_at": _ts(assured_on, 16),
                "status": "assured",
                "progress_note": "Assured by the learning and improvement subgroup: evidence seen.",
                "evidence_url": None,
            }
        )
    return updates


def _with_assurance_actions(title: str, action_list: list, national: bool) -> list:
    """Boards ask each lead agency for an assurance report, and spread the learning in a briefing."""
    extra = []
    if not national and len(action_list) < 3:
        extra.append(
            (
                action_list[0][0],
                f"Provide an assurance report on '{title}' to the learning and improvement subgroup",
                "Report received and discussed by the subgroup",
            )
        )
    if not national and len(action_list) + len(extra) < 3:
        extra.append(
            (
                "BU",
                f"Publish a seven-minute briefing on '{title}'",
                "Briefing published and circulated",
            )
        )
    return [*action_list, *extra]


def _officer(agency_id: int, action_id: int) -> str:
    """The lead officer of demo action ``action_id`` led by the agency with id ``agency_id``
    (agencies are numbered in :data:`AGENCIES` order from 1): one of :data:`OFFICERS`."""
    titles = OFFICERS[AGENCIES[agency_id - 1][0]]
    return titles[action_id % len(titles)]


def _demo_action(
    rnd: random.Random,
    *,
    anchor,
    published,
    action_id,
    review_id,
    rec_id,
    number,
    description,
    measure,
    agency_id,
    author_id,
    national,
):
    """One demo action with its history: (action row, update rows, date-change rows)."""
    original_due = published + timedelta(days=rnd.randint(90, 540))
    due = original_due
    changes = []
    created = published + timedelta(days=rnd.randint(14, 40))
    roll = rnd.random()
    past_due = original_due < anchor
    if national:
        status = "in_progress"
    elif original_due < anchor - timedelta(days=180):
        # long past its date: boards have mostly closed these, with some drift left
        status = (
            "assured"
            if roll < 0.45
            else "completed"
            if roll < 0.82
            else "in_progress"
            if roll < 0.92
            else "not_started"
            if roll < 0.96
            else "not_implemented"
        )
    elif past_due:
        status = (
            "assured"
            if roll < 0.25
            else "completed"
            if roll < 0.55
            else "in_progress"
            if roll < 0.8
            else "not_started"
            if roll < 0.9
            else "not_implemented"
        )
    else:
        status = "completed" if roll < 0.15 else "in_progress" if roll < 0.7 else "not_started"
    # some open actions had their date moved (approved), a few twice
    moves = 0
    if status in ("in_progress", "not_started") and not national and rnd.random() < 0.3:
        moves = 2 if rnd.random() < 0.3 else 1
    for m in range(moves):
        requested = min(due - timedelta(days=14), anchor - timedelta(days=5))
        requested = max(requested, created + timedelta(days=1))
        new_due = due + timedelta(days=rnd.choice([60, 90, 120]))
        changes.append(
            {
                "action_id": action_id,
                "old_due_on": due.isoformat(),
                "new_due_on": new_due.isoformat(),
                "reason": rnd.choice(REASONS),
                "requested_by": "demo",
                "requested_at": _ts(requested),
                "decision": "approved",
                "decided_by": "board@northbridge.example",
                "decided_at": _ts(requested + timedelta(days=3 + m)),
            }
        )
        due = new_due
    if national:
        due = None
    completed_on = None
    if status in ("completed", "assured"):
        latest = min(anchor - timedelta(days=1), original_due + timedelta(days=60))
        earliest = created + timedelta(days=20)
        completed_on = earliest + timedelta(days=rnd.randint(0, max(0, (latest - earliest).days)))
    # dated progress updates about every 2-3 months from creation to completion or anchor
    updates = []
    day = created + timedelta(days=rnd.randint(20, 60))
    closed_on = (
        min(anchor - timedelta(days=2), original_due + timedelta(days=30))
        if status == "not_implemented"
        else None
    )
    end = completed_on or closed_on or anchor
    # a few open actions have gone quiet (stale): no updates in the last four months
    if status in ("in_progress", "not_started") and rnd.random() < 0.2:
        end = anchor - timedelta(days=120)
    current = "not_started"
    while day < end:
        if current == "not_started" and status != "not_started":
            current = "in_progress"
        updates.append(
            {
                "action_id": action_id,
                "author_id": author_id,
                "created_at": _ts(day, 9 + rnd.randint(0, 7)),
                "status": current,
                "progress_note": rnd.choice(NOTES_IN_PROGRESS),
                "evidence_url": None,
            }
        )
        day += timedelta(days=rnd.randint(60, 95))
    if completed_on:
        updates.append(
            {
                "action_id": action_id,
                "author_id": author_id,
                "created_at": _ts(completed_on, 15),
                "status": "completed",
                "progress_note": rnd.choice(NOTES_DONE),
                "evidence_url": "https://northbridge.example/evidence/" + number,
            }
        )
        if status == "assured":
            assured_on = min(completed_on + timedelta(days=rnd.randint(20, 60)), anchor)
            updates.append(
                {
                    "action_id": action_id,
                    "author_id": 3,
                    "created_at": _ts(assured_on, 16),
                    "status": "assured",
                    "progress_note": "Assured by the learning and improvement subgroup: evidence seen.",
                    "evidence_url": None,
                }
            )
    elif status == "not_implemented":
        updates.append(
            {
                "action_id": action_id,
                "author_id": 2,
                "created_at": _ts(closed_on),
                "status": "not_implemented",
                "progress_note": "Closed by the board: superseded by the regional procedure.",
                "evidence_url": None,
            }
        )
    last_update = updates[-1]["created_at"][:10] if updates else None
    row = {
        "id": action_id,
        "recommendation_id": rec_id,
        "review_id": review_id,
        "number": number,
        "description": description,
        "success_measure": measure,
        "lead_agency_id": agency_id,
        "lead_officer": _officer(agency_id, action_id),
        "original_due_on": None if national else original_due.isoformat(),
        "due_on": due.isoformat() if due else None,
        "due_on_approximate": False,
        "due_date_changes": moves,
        "status": status,
        "completed_on": completed_on.isoformat() if completed_on else None,
        "closure_reason": "Superseded by the regional procedure."
        if status == "not_implemented"
        else None,
        "rag_override": None,
        "rag_override_reason": None,
        "last_update_on": last_update,
        "version": 1,
        "created_at": _ts(created),
        "updated_at": updates[-1]["created_at"] if updates else _ts(created),
    }
    return row, updates, changes


def _add_measures(add, anchor: date, agency_ids: dict[str, int]) -> None:
    """The demo reviews' impact measures, their monthly values and feedback
    (:mod:`monitoring.measures_demo`)."""
    from monitoring import measures_demo

    for table, rows in measures_demo.demo_rows(anchor, agency_ids).items():
        add(table, rows)
