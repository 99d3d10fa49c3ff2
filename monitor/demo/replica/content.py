"""Releases for the replica site: hand-written transcripts and statements, plus generated routine ones.

Transcript text is written for this project in the style of public-domain State Department
releases; a few lines quote Secretary Blinken's remarks to Mission Mexico staff (October 2021).
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from datetime import date, timedelta


@dataclass
class Release:
    post_id: int
    slug: str
    title: str
    doc_type: str
    speakers: list[str]
    published: date
    paragraphs: list[str]
    audience: str = ""
    location: str = ""
    tags: list[str] = field(default_factory=list)
    layout: str = "2019"               # "2019": 2019-2024 WordPress; "2025": block layout; "wh": whitehouse.gov
    office: str = "office-of-the-spokesperson"
    modified: str = ""                 # article:modified_time; derived from `published` if empty
    body_html: str = ""                # raw body HTML served instead of `paragraphs` (real captured bodies)

    @property
    def path(self) -> str:
        if self.layout == "wh":
            return f"/remarks/{self.published:%Y/%m}/{self.slug}/"
        if self.layout == "state2009":
            return f"/secretary/remarks/{self.published:%Y/%m}/{self.slug}.htm"
        if self.layout == "govuk":
            return f"/api/content/government/speeches/{self.slug}"
        if self.layout == "dod":
            return f"/News/Transcripts/Transcript/Article/{self.post_id}/{self.slug}/"
        if self.layout == "2025":
            return f"/releases/{self.office}/{self.published:%Y/%m}/{self.slug}/"
        return f"/{self.slug}/"

    def modified_time(self) -> str:
        return self.modified or f"{self.published.isoformat()}T15:04:00+00:00"

    def edited(self, old: str, new: str, modified: str) -> "Release":
        """A copy with the first occurrence of `old` replaced in the body."""
        for i, para in enumerate(self.paragraphs):
            if old in para:
                paras = list(self.paragraphs)
                paras[i] = para.replace(old, new, 1)
                return replace(self, paragraphs=paras, modified=modified)
        raise ValueError(f"{old!r} is not in release {self.slug!r}")


BLINKEN = "Antony J. Blinken, Secretary of State"
PRICE = "Ned Price, Department Spokesperson"
SPOKES = "Office of the Spokesperson"
RUBIO = "Marco Rubio, Secretary of State"

HANDWRITTEN = [
    Release(
        262710, "department-press-briefing-july-27-2021", "Department Press Briefing – July 27, 2021",
        "Department Press Briefing", [PRICE], date(2021, 7, 27), [
            "MR PRICE: Good afternoon, everyone. I have a couple of things at the top, and then we’ll take your questions.",
            "The United States is deeply concerned by reports of violence in the Tigray region of Ethiopia. We call on all armed actors in Tigray to stop attacks and intimidation against Eritrean forces and all refugees, asylum seekers and people displaced by the ongoing violence, as well as against the aid workers attempting to respond to the humanitarian disaster more broadly.",
            "With that, happy to turn to your questions.",
            "QUESTION: Thanks, Ned. Can you say whether the Secretary raised Tigray in his calls this week?",
            "MR PRICE: He did. He raised it directly, and he made clear that humanitarian access must be unimpeded. (Inaudible) – I’ll leave it there for now.",
            "QUESTION: A follow-up, if I may – is there a timeline?",
            "MR PRICE: We are not going to put a timeline on it, but we are working on it every single day.",
            "(The briefing was concluded at 3:12 p.m.)",
        ], audience="", location="Washington, D.C.", tags=["Ethiopia", "Eritrea", "Office of the Spokesperson"],
    ),
    Release(
        265880, "secretary-antony-j-blinken-remarks-to-mission-mexico-staff",
        "Secretary Antony J. Blinken Remarks to Mission Mexico Staff", "Remarks", [BLINKEN],
        date(2021, 10, 8), [
            "SECRETARY BLINKEN: Thank you, thank you, thank you. Okay, a few things right from the start. The first rule of politics: never, never, never follow Ken Salazar to a podium. (Laughter.)",
            "So I have to start by saying as well that Ambassador Salazar is the best political ambassador we have. He’s also the only political ambassador we have, but we’re working on it. (Laughter.)",
            "This relationship is, simply put, one of the handful of the most important relationships the United States has with any country in the world. (Applause.)",
            "We’ve lost 21 Mission Mexico colleagues to COVID-19, and it’s hard to put words to that loss.",
            "But for today, it’s just this: Thank you. Job very well done. Let’s keep doing it. (Applause.)",
        ], audience="U.S. Embassy Mexico City", location="Mexico City, Mexico", tags=["Mexico"],
    ),
    Release(
        266102, "secretary-blinkens-meeting-with-mexican-foreign-secretary-ebrard",
        "Secretary Blinken’s Meeting with Mexican Foreign Secretary Ebrard", "Readout", [SPOKES],
        date(2021, 10, 8), [
            "The following is attributable to Spokesperson Ned Price:",
            "Secretary of State Antony J. Blinken met today with Mexican Foreign Secretary Marcelo Ebrard in Mexico City. The Secretary and Foreign Secretary discussed the High-Level Security Dialogue and shared responsibility for public health, security, and migration.",
        ], tags=["Mexico"],
    ),
    Release(
        268431, "secretary-antony-j-blinken-at-a-press-availability-15",
        "Secretary Antony J. Blinken at a Press Availability", "Remarks", [BLINKEN], date(2021, 11, 19), [
            "SECRETARY BLINKEN: Good afternoon, everyone. It’s good to be back in Nairobi.",
            "We spent the morning talking about the crisis in Ethiopia, about the need for a cessation of hostilities, and about the humanitarian access that millions of people urgently need.",
            "MODERATOR: We’ll take two questions. First, from Nairobi.",
            "QUESTION: Mr. Secretary, do you think sanctions will change the calculus of the parties?",
            "SECRETARY BLINKEN: I don’t think sanctions alone will resolve this. But they are one tool among many, and we will use every tool we have. (Inaudible.)",
            "MODERATOR: Thank you, everyone.",
        ], audience="Kenyan Ministry of Foreign Affairs", location="Nairobi, Kenya", tags=["Kenya", "Ethiopia"],
    ),
    Release(
        270112, "secretary-blinken-greenlandic-premier-egede-and-danish-foreign-minister-kofod-joint-press-availability",
        "Secretary Blinken, Greenlandic Premier Egede, and Danish Foreign Minister Kofod at a Joint Press Availability",
        "Remarks", [BLINKEN, "Mute Egede, Greenlandic Premier", "Jeppe Kofod, Danish Foreign Minister"],
        date(2021, 5, 20), [
            "PREMIER EGEDE: Secretary Blinken, it has been a pleasure to have you as a guest in my country.",
            "SECRETARY BLINKEN: Thank you, Premier. The United States and Greenland share a long history and, I believe, an even more important future.",
            "FOREIGN MINISTER KOFOD: Let me add my thanks. (Laughter.) The Arctic must remain a region of low tension.",
            "QUESTION: Is Greenland for sale? (Laughter.)",
            "SECRETARY BLINKEN: No. (Laughter.)",
        ], audience="Kangerlussuaq Airport", location="Kangerlussuaq, Greenland", tags=["Greenland", "Denmark", "Arctic"],
    ),
    Release(
        352170, "visa-restrictions-on-ortega-murillo-regime-officials",
        "Visa Restrictions on Ortega-Murillo Regime Officials", "Press Statement", [BLINKEN], date(2022, 6, 13), [
            "The United States is taking steps today to impose visa restrictions on 93 officials of the Ortega-Murillo regime for their role in undermining democracy in Nicaragua.",
            "We will continue to use all diplomatic and economic tools at our disposal to support the Nicaraguan people. For more information, contact WHA-Press@state.gov.",
        ], tags=["Nicaragua"],
    ),
    Release(
        705575, "secretary-rubio-and-italian-deputy-pm-and-fm-antonio-tajani-at-a-critical-minerals-mou-signing-ceremony",
        "Secretary Rubio and Italian Deputy PM and FM Antonio Tajani at a Critical Minerals MOU Signing Ceremony",
        "Remarks", [RUBIO, "Antonio Tajani, Italian Deputy Prime Minister and Foreign Minister"], date(2026, 9, 21), [
            "SECRETARY RUBIO: It’s great to be here with Minister Tajani. Our two countries work very closely together, and we’re pleased to be signing this Memorandum of Understanding on critical minerals.",
            "DEPUTY PRIME MINISTER TAJANI: Thank you very much, Marco. For Italy it is very important to sign this Memorandum of Understanding.",
            "(The Memorandum is signed.)",
            "DEPUTY PRIME MINISTER TAJANI: (Via interpreter) Thank you. Today with the United States we are going a leap forward.",
        ], audience="Lotte New York Palace", location="New York City, New York", tags=["Italy", "Critical Minerals"],
        layout="2025", office="office-of-the-spokesman",
    ),
    Release(
        705581, "armenia-national-day", "Armenia National Day", "Press Statement", [RUBIO], date(2026, 9, 21), [
            "On behalf of the United States of America, I extend warm congratulations to the people of Armenia on your Independence Day.",
            "The United States celebrates the partnership between our countries and looks forward to deepening it in the year ahead.",
        ], tags=["Armenia"], layout="2025", office="office-of-the-spokesman",
    ),
    Release(
        705420, "department-press-briefing-september-18-2026", "Department Press Briefing – September 18, 2026",
        "Department Press Briefing", ["Tammy Bruce, Department Spokesperson"], date(2026, 9, 18), [
            "MS BRUCE: Good afternoon. A few announcements at the top.",
            "The Secretary will travel to New York next week for the UN General Assembly high-level week.",
            "QUESTION: Will the Secretary meet the Russian foreign minister?",
            "MS BRUCE: I don’t have any meetings to announce at this time. (Laughter.)",
            "(The briefing was concluded at 2:41 p.m.)",
        ], location="Washington, D.C.", layout="2025", office="office-of-the-spokesman",
    ),
    Release(
        705300, "secretary-rubios-call-with-japanese-foreign-minister", "Secretary Rubio’s Call with Japanese Foreign Minister",
        "Readout", [SPOKES], date(2026, 9, 15), [
            "The following is attributable to Spokesperson Tammy Bruce:",
            "Secretary of State Marco Rubio spoke with Japanese Foreign Minister today. The Secretary reaffirmed the ironclad U.S.-Japan Alliance.",
        ], tags=["Japan"], layout="2025", office="office-of-the-spokesman",
    ),
]

NATIONAL_DAYS = [
    ("Yemen", "National Unity Day"), ("Jordan", "Independence Day"), ("Georgia", "Independence Day"),
    ("Mongolia", "Naadam"), ("Peru", "Independence Day"), ("Belgium", "National Day"),
    ("Ecuador", "Independence Day"), ("Indonesia", "Independence Day"), ("Ukraine", "Independence Day"),
    ("Malaysia", "National Day"), ("Uzbekistan", "Independence Day"), ("Brazil", "Independence Day"),
    ("Chile", "Independence Day"), ("Mexico", "Independence Day"), ("Nigeria", "Independence Day"),
    ("Germany", "Day of German Unity"), ("Spain", "National Day"), ("Austria", "National Day"),
    ("Panama", "Independence Day"), ("Finland", "Independence Day"), ("Kenya", "Jamhuri Day"),
    ("Bahrain", "National Day"), ("Qatar", "National Day"), ("Nepal", "Constitution Day"),
]


def _national_day(i: int, country: str, occasion: str, when: date, layout: str) -> Release:
    secretary = RUBIO if layout == "2025" else BLINKEN
    return Release(
        300000 + i, f"{country.lower()}-{occasion.lower().replace(' ', '-')}-{when.year}",
        f"{country} {occasion}", "Press Statement", [secretary], when, [
            f"On behalf of the Government of the United States of America, I offer best wishes to the people of {country} on the occasion of your {occasion}.",
            f"The United States values its partnership with {country}. We look forward to continuing our work together on the challenges that matter most to our people.",
            "May you enjoy a joyful celebration.",
        ], tags=[country], layout=layout, office="office-of-the-spokesman",
    )


def demo_releases() -> list[Release]:
    """The demo site: 10 hand-written releases and 24 routine statements (34 in all)."""
    routine = [
        _national_day(i, country, occasion, date(2025, 1, 6) + timedelta(days=9 * i), "2025" if i % 2 else "2019")
        for i, (country, occasion) in enumerate(NATIONAL_DAYS)
    ]
    return HANDWRITTEN + routine


DEMO_EDIT = ("department-press-briefing-july-27-2021", "against Eritrean forces", "against Eritrean refugees")
DEMO_NEW = Release(
    706001, "secretary-rubios-meeting-with-kenyan-president-ruto-2", "Secretary Rubio’s Meeting with Kenyan President Ruto",
    "Readout", [SPOKES], date(2026, 9, 23), [
        "The following is attributable to Spokesperson Tammy Bruce:",
        "Secretary of State Marco Rubio met with Kenyan President William Ruto on the margins of the UN General Assembly. They discussed regional security and the Multinational Security Support mission in Haiti.",
    ], tags=["Kenya", "Haiti"], layout="2025", office="office-of-the-spokesman",
)


def generated_releases(count: int, seed: int = 7) -> list[Release]:
    """`count` routine releases for benchmarks, deterministic for a seed."""
    rng = random.Random(seed)
    out = []
    for i in range(count):
        country, occasion = NATIONAL_DAYS[i % len(NATIONAL_DAYS)]
        # Five a day going back from September 2026: a replica never publishes in the future.
        release = _national_day(i, country, occasion, date(2026, 9, 1) - timedelta(days=i // 5), rng.choice(["2019", "2025"]))
        release.slug = f"{release.slug}-{i}"
        release.post_id = 500_000 + i       # clear of the demo releases' ids, so both can share a site
        release.paragraphs = release.paragraphs + [
            f"Our cooperation in {rng.choice(['trade', 'health', 'security', 'education', 'energy'])} "
            f"has grown by {rng.randint(2, 40)} percent since {rng.randint(1990, 2018)}."
        ]
        out.append(release)
    return out
