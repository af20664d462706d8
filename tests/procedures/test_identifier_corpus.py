"""The identifier filter against a corpus: every identifier refused, every clinical note
accepted. Both lists are hand-written; see procedures/identifiers.py for the rules."""

import time

import pytest

from procedures.identifiers import find_identifier, normalise

# Identifiers in many shapes, mostly embedded in the kind of sentence a trainee might type.
IDENTIFIERS = [
    # --- record-number runs: seven or more digits whatever separates them ---
    "MRN 1234567",
    "Pt 12345678 seen in clinic",
    "hospital number 123 4567, L4-5 right",
    "ref 12.345.678 for imaging",
    "number 1234/5678 on the request",
    "ID 123\t4567 copied from PAS",
    "record 123  4567 from the sticker",
    "patient 123\u00a04567 consented",
    "123\u20134567 on the label",
    "code 123\u20144567 written on the card",
    "\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077 written on the form",
    "\u2460\u2461\u2462\u2463\u2464\u2465\u2466 on the sticker",
    "\uff11\uff12\uff13\uff14\uff15\uff16\uff17 from the wristband",
    "123\u200b4567 in the referral",
    "\u0661\u0662\u0663\u0664\u0665\u0666\u0667 on the referral",
    "12 34 56 78 from the sticker",
    "1 2 3 4 5 6 7 8 read out by the nurse",
    "sticker 0012345",
    "A1234567 on the wristband",
    "K 9876543 on the form",
    "label 123_4567",
    "card says 123 - 4567",
    "number 123 / 4567",
    "written as 123,4567",
    "12345-67 on the notes",
    "987654321",
    "CHI 0102601234",
    "12\u00b734\u00b7567",
    "123\u20094567 (thin space)",
    "123\u202f4567 narrow space",
    "123\u20074567 figure space",
    "123\u22124567 minus sign",
    "123\u20104567 hyphen",
    "123\ufeff4567 with a BOM inside",
    "123\u00ad4567 soft hyphen",
    "123\u20604567 word joiner",
    "123\u200d4567 joiner",
    "1\ufe0f\u20e32\ufe0f\u20e33\ufe0f\u20e34\ufe0f\u20e35\ufe0f\u20e36\ufe0f\u20e37\ufe0f\u20e3",
    "\U0001d7cf\U0001d7d0\U0001d7d1\U0001d7d2\U0001d7d3\U0001d7d4\U0001d7d5 bold digits",
    "\u06f1\u06f2\u06f3\u06f4\u06f5\u06f6\u06f7 Persian digits",
    "\u0967\u0968\u0969\u096a\u096b\u096c\u096d Devanagari digits",
    "\u2780\u2781\u2782\u2783\u2784\u2785\u2786 dingbats",
    "12-34-567 on the request card",
    "Pt no 555 0123 456",
    "number 12 345 678 on file",
    "ref 123 4567 L4-5 right",
    "Record was 1234567.",
    "(1234567)",
    "#1234567",
    "booked under 7654321 for RFA",
    "9434765919",
    "NHS number 943 476 5919",
    "NHS no. 943-476-5919",
    "943 476 5919 was on the letter",
    "wristband \u0660\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668",
    "ref no 1234567 re: L4-5",
    "1234567\nreferred by GP",
    "sticker: 123\n4567",
    "Pt ref 1234567 - L5/S1 TFESI",
    "12345678 L4-5 80 mg",
    "records show 000123456",
    "number 12.34.56.78",
    "1234..5678",
    "ref 123//4567",
    "\uff11\uff12\uff13\uff0d\uff14\uff15\uff16\uff17 full-width dash",
    "12\u2044345\u2044678",
    # --- labels followed by a number of any length ---
    "MRN 123456",
    "MRN: 4455",
    "mrn#778",
    "MR# 44556",
    "hospital no. 4455",
    "Hospital number: A12345",
    "hosp no 998",
    "Hosp. No. 33445",
    "NHS no 943",
    "URN 44556",
    "UR number 7788",
    "patient ID 12345",
    "pt id: 9981",
    "record no. 4432",
    "medical record number 55123",
    "unit number 22441",
    "chart # 5521",
    "accession 889123",
    "ID no. 44512",
    "SSN 123 45",
    "Medicare number 2123",
    "NHI ABC1234",
    "DOB 1960",
    "D.O.B.: Feb 1960",
    "dob 3/60",
    "date of birth 1958",
    "DOB: 020260",
    "D.O.B 2nd Feb",
    "MRN is 44556",
    "hospital no. 4455 checked at time out",
    "MRN\u00a0123456",
    "Hosp no.\t4455",
    "DOB 2.2.60",
    "MRN 12 34 56",
    "MRN:A-4455",
    "record number A 12345",
    "Birth date 1960",
    # --- full dates written with numbers ---
    "DOB: 02/02/60",
    "born 1/2/60",
    "02.02.1960",
    "1960-02-02",
    "seen 15/11/2023 for review",
    "injected on 3-4-22",
    "2/2/'60",
    "1958/7/14",
    "12 / 03 / 1961",
    "01.01.01",
    "31/12/99",
    "2023.11.15",
    "11-30-1975",
    "procedure on 2024-01-15",
    "2\u20132\u201360",
    "\uff10\uff12\uff0f\uff10\uff12\uff0f\uff16\uff10",
    "DOB:\u00a012/03/1961",
    "12.3.1961",
    # --- full dates written with month names ---
    "born 2 Feb '60",
    "born 2 Feb \u201960",
    "2nd of February 1960",
    "12Mar1961",
    "May 2, 1960",
    "2 May 1960",
    "mar 12 61",
    "15-Nov-2023",
    "3rd Sept. 1961",
    "February 2nd, '60",
    "Dec 25 1950",
    "1 January 2000",
    "1960 Feb 02",
    "21st June 1945",
    "Aug. 9, 1971",
    "born 30 Apr 55",
    "the 4th of July 1976",
    "DOB 12 March 1961",
    "OCT 10 1980",
    "9 oct 1990",
    "17/Jan/1970",
    "jul-04-76",
    "2-FEB-1960",
    "born on 5th May 1962",
    "March 3rd 1948",
    "seen 14 Feb 2024 in clinic",
    "born \uff12 Feb \uff11\uff19\uff16\uff10",
    "Born 2\u00a0Feb\u00a0'60",
    # --- SSN- and phone-shaped numbers ---
    "SSN 123-45-6789",
    "123-45-6789",
    "social 123 45 6789",
    "(555) 123-4567",
    "call (020) 7946 0958",
    "+44 20 7946 0958",
    "+1 555 123 4567",
    "07700 900123",
    "0161 496 0000",
    "555-123-4567",
    "555.123.4567",
    "+44 (0)20 7946 0958",
    "mob 07700900123",
    "tel 555-0123",
    "+61 2 9374 4000",
    # --- e-mail addresses ---
    "j.smith@example.org",
    "email jane_doe+pain@nhs.net for results",
    "jsmith [at] nhs.net",
    "pt email: a.b-c@mail.co.uk",
    "contact J.Smith@Example.COM",
    "jsmith(at)example.org",
    "jos\u00e9@correo.es",
]

# Ordinary notes a pain, spine or MSK trainee would write.
CLINICAL = [
    # --- brands and words that begin like a month ---
    "Marcaine 0.5% 5 mL at L4-5",
    "decreased sensation L5 dermatome",
    "separate needle for each level",
    "Mayo stand prepped, sterile field",
    "Junior trainee observed",
    "on Augmentin for UTI, procedure went ahead",
    "Octreotide noted on drug chart",
    "Decadron 8 mg given instead of Depo-Medrol",
    "novel approach via Kambin's triangle",
    "marked improvement at 6 weeks",
    "Octreotide infusion stopped prior",
    "Decapeptyl noted in history",
    "Augmentin 625 mg tds",
    "Junior doctor scrubbed; marked the level",
    "Decreased reflexes at ankle",
    "Augmented by trainee under supervision",
    "Janus kinase inhibitor on the drug chart",
    "Aprepitant given pre-op",
    "Marcain heavy 0.5% 3 mL",
    "Septic arthritis excluded",
    "Novocaine not used",
    "Decompression previously at L4-5",
    "Febrile? no",
    "Mayfield clamp not required",
    "Junctional level T12-L1",
    "pain may settle within 2 weeks",
    "may repeat in 3 months if helpful",
    "may need 2 levels next time",
    "effect may take 10-20 min",
    "may 2 mL be enough? used 3 mL",
    "Marked 10 mm from midline",
    # --- months alone and years alone are not full dates ---
    "symptoms since 2019",
    "previous RFA in 2021",
    "follow-up in 6 weeks",
    "review in March",
    "review in May",
    "since March 2022",
    "last injection 12 March",
    "Seen 12/3 in clinic",
    "Nov review planned",
    "Sept clinic slot",
    "Mar 2023 MRI showed L4-5 disc",
    "MRI 2021-03 reviewed",
    "x-ray 2/2023 unchanged",
    "symptoms 2019-2021, then recurrence",
    "injections in 2019 2021 2023",
    "symptoms since 2019/2020",
    "last seen 2022; DEXA 2023",
    "Jan\u2013Mar 2024 physio block",
    "review on 12 May",
    "12th of June review",
    "next list 3rd Aug",
    "RFA 2019 and 2021, both 6 months relief",
    "consent form v3 2024",
    "Started 2 Mar 20 mg amitriptyline",
    # --- doses, concentrations, volumes and dose escalations ---
    "100 200 300 mg",
    "dose escalation 25, 50, 100, 200 mg",
    "gabapentin 300 600 900 1200 mg",
    "pregabalin 75 150 300 mg",
    "amitriptyline titrated 10 \u2192 20 \u2192 30 mg",
    "0.25% bupivacaine 3 mL",
    "Depo-Medrol 80 mg",
    "dexamethasone 10 mg",
    "Triamcinolone 40 mg in 2 mL",
    "Kenalog 40 mg + lidocaine 1% 4 mL",
    "hip injection 40 mg Depo-Medrol 5 mL 0.25% levobupivacaine",
    "levobupivacaine 0.125% 10 mL",
    "caudal epidural 20 mL 0.25% bupivacaine + 80 mg methylpred",
    "SIJ injection right, 1.5 mL contrast then 2 mL mix",
    "paracetamol 500-1000 mg qds",
    "500 1000 mg paracetamol",
    "lidocaine 1% with adrenaline 1:200,000",
    "lidocaine 1% with adrenaline 1:200 000",
    "1 in 200 000 adrenaline",
    "fentanyl 25 50 mcg boluses",
    "midazolam 1 mg + 1 mg",
    "propofol TCI 2-4 mcg/mL",
    "ketamine 10 mg then 20 mg",
    "Hydrodilatation 40 mL saline, 40 mg triamcinolone",
    "Suprascapular block 10 mL 0.5% bupivacaine",
    "Botox 100 units in 4 mL saline, 25 units per site",
    "piriformis injection 2 mL 40 mg/mL",
    "TFESI L5/S1 right, dexamethasone 6.6 mg",
    "Phenol 6% 1 mL at each level",
    "Intrathecal pump refill 20 mL, rate 0.5 mg/day",
    "clonidine 150 mcg added",
    "epidural 10 mL, test dose 3 mL 2% lido",
    "Ketorolac 30 mg IV",
    "hydrocortisone 100 mg IV stat",
    "cervical TFESI avoided; ILESI C7-T1 with 10 mg dex",
    "Lumbar sympathetic block L2 L3, 10 mL each",
    "stellate ganglion block C6, 5 mL 0.5% ropivacaine",
    "Coeliac plexus neurolysis 20 mL 50% alcohol",
    "Obturator nerve block 15 mL",
    "Dose 12.5 25 50 100 mg titration",
    "tapentadol 50 100 150 200 mg",
    "oxycodone 5 10 20 mg ladder",
    "duloxetine 30 then 60 mg",
    "tramadol 50-100 mg",
    "morphine 2.5 5 10 mg",
    "pregabalin 75/150/300 mg",
    "25,50,100,200 mg escalation",
    "0.5 1 2 mL incremental",
    "2 mL@0.25%",
    "2 x 2 mL 1% lidocaine",
    "Glycerol 1 mL",
    # --- pain scores, outcomes and observations ---
    "VAS 8/10 pre, 2/10 at 30 min, 3/10 at 6 h",
    "Pain 7/10 \u2192 2/10",
    "VAS 8/10 7/10 3/10",
    "Power 5/5 5/5 4/5 5/5 both legs",
    "80% relief for 6 hours",
    "pain score 9 \u2192 3",
    "NRS 6/10 now 1/10",
    "ODI 42% \u2192 18%",
    "Pre 7/10 post 0/10",
    "VAS 8 \u2192 2 at 30 min",
    "Pain 6/10 5/10 2/10 over 3 visits",
    "MBB x2 with 80% and 70% relief",
    "Trial of 7 days, 60% relief",
    "Repeat in 12/52 if > 50% relief",
    "review 6/52",
    "F/U 3/12",
    "symptoms x 2/12",
    "BP 130/80 125/75",
    "BP 150/90 pre, 130/80 post",
    "temp 36.8, HR 72, BP 128/76, SpO2 98%",
    "observations 128/76 72 98%",
    "eGFR 85, INR 1.1, Hb 132, plt 250",
    "BMI 31, age 55",
    "Hb 132 g/L",
    "ESR 12 CRP 5",
    "INR 1.2 on day of procedure",
    "Warfarin stopped 5 days prior",
    "Apixaban held 48 h",
    "weight 82.5 kg, height 178 cm",
    "platelets 250 x10^9/L",
    "age 72, 3rd procedure",
    # --- needles, levels, imaging and radiation ---
    "22G 3.5 inch spinal needle",
    '25G 3.5" spinal needle',
    "L4-5, L5/S1",
    "C5-6 interlaminar",
    "T12-L1 facet",
    "1:1 mixture of bupivacaine and saline",
    "DAP 1234.56 mGy\u00b7cm\u00b2",
    "fluoro 45.2 s",
    "fluoro time 00:45, DAP 312.4",
    "DAP 8123.45, fluoro 312.7 s",
    "vertebroplasty T12, 4 mL PMMA, DAP 12345.6 mGy\u00b7cm\u00b2",
    "fluoro 12.3 s DAP 45.6 mGy\u00b7cm2",
    "DAP 410.00, fluoro 32.5 s",
    "iohexol 300 1 mL, contrast spread epidural",
    "Omnipaque 240 2 mL confirmed spread",
    "Contrast 1 mL Omnipaque 300, no vascular uptake",
    "epidurogram: 3 mL Omnipaque 240",
    "needle depth 6 cm, 20 degrees oblique",
    "patient positioned prone, C-arm 20\u00b0 ipsilateral oblique",
    "cervical MBB C3 C4 C5 C6",
    "levels T10 T11 T12",
    "L3-4 L4-5 L5-S1 medial branches",
    "4 levels: L2 L3 L4 L5",
    "Lead at T8-T9, paraesthesia coverage 90%",
    "needle 25G 90 mm, 22G 120 mm",
    "Genicular RFA 3 needles 18G 100 mm 10 mm active tip",
    "Ultrasound probe 6-13 MHz linear",
    "curvilinear 2-5 MHz",
    "ratio 1:4 contrast:saline",
    "tendon fenestration 20 passes with 22G",
    "ESWT 2000 shocks at 0.15 mJ/mm\u00b2",
    # --- radiofrequency, stimulation and regenerative procedures ---
    "impedance 312 287 295 ohm at three levels",
    "impedances 400-600 ohms",
    "RF 80 \u00b0C for 90 s, 2 cycles",
    "pulsed RF 42\u00b0C 120 s x2",
    "RF lesion 80\u00b0C 90 s x3 per level",
    "Cooled RF 60 \u00b0C 150 s",
    "sensory threshold 0.3 V, motor 2 V negative",
    "spinal cord stimulator trial 7 days",
    "genicular nerve RFA: superolateral, superomedial, inferomedial",
    "BMA 60 mL from posterior iliac crest",
    "PRP 4 mL 5x baseline",
    "PRP 6 mL, leucocyte-poor, 4.5x baseline",
    "platelets 1 200 000 cells/\u00b5L in PRP",
    "PRP platelet count 1.200.000/\u00b5L",
    "platelet concentration 1,200,000/\u00b5L",
    "US-guided knee aspirate 35 mL straw-coloured",
    "Greater trochanteric bursa 40 mg + 4 mL lidocaine 1%",
    # --- clock times and the day's list ---
    "started at 14:30, finished 15:10",
    "list 0830-1230",
    "list 08.30-12.30",
    "Time out at 0930",
    "no immediate complications; discharged 16:45",
    "Onset 5 min, duration 8 h",
    "second case 14.30-15.00",
    "Two attempts, second successful",
    "bleep 4455 for queries",
    "advised to call NHS 111 if worse",
    "Room 12, list order 3",
    "Uneventful. L4\u2013L5 right, 2 mL 0.5% bupivacaine.",
    "123456",
    "Hospital no longer offers this block",
    "Oxford knee score 22/48",
    "SCS 60 Hz 450 us 3.2 mA",
    "list 1300-1700",
    "Started at 0900, finished 0945",
    "DAP 1500 2100 mGy cm2 over two runs",
    "needle depth 4.5 5.0 5.5 cm",
    "follow up 3 6 12 months",
    "Pt for review May 2024",
    "Na 140 K 4.1 Cr 80",
    "ropivacaine 0.2% 10 mL/h",
]


def test_the_corpus_is_large_and_has_no_duplicates():
    assert len(IDENTIFIERS) >= 150
    assert len(CLINICAL) >= 150
    assert len(set(IDENTIFIERS)) == len(IDENTIFIERS)
    assert len(set(CLINICAL)) == len(CLINICAL)
    assert not set(IDENTIFIERS) & set(CLINICAL)


@pytest.mark.parametrize("text", IDENTIFIERS)
def test_every_identifier_is_refused(text):
    assert find_identifier(text) is not None


@pytest.mark.parametrize("text", CLINICAL)
def test_every_clinical_note_is_accepted(text):
    assert find_identifier(text) is None, find_identifier(text)


# --- the digit-run rule at its edges (see the module docstring) ------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "100 200 300",  # a list of bare numbers with no unit is a run
        "1234567 mg",  # no dose has seven digits
        "0123 4567 mL",  # doses have no leading zero
        "1234 5678 mg",  # two values must both be round
        "12.345.678 mg",  # points are not list separators
        "500 1000",  # a round pair still needs its unit
        "impedance 312 287 295",  # readings need their unit too
        "2019 1960 2021",  # years out of order
        "1234-5678",  # not a clock-time range (56 hours)
        "Seen 2 Mar 20",  # a two-digit year makes a full date
    ],
)
def test_runs_without_the_marks_of_a_quantity_are_refused(text):
    assert find_identifier(text) is not None


@pytest.mark.parametrize(
    "text",
    [
        "100 200 300 mg",
        "100 200 300mg",
        "100, 200, 300",  # a comma and a space end a run
        "25 then 50 then 100 then 200",
        "25\u219250\u2192100\u2192200",
        "500-1000 mg",
        "123 456 789 mg",  # three short values and a unit read as a list: accepted
        "8/10-10/10",
        "review 2 May 14:30",  # 14 is an hour, not a year
        "10.30-11.45 list",
    ],
)
def test_quantities_that_look_like_runs_are_accepted(text):
    assert find_identifier(text) is None


# --- descriptions ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "description"),
    [
        ("MRN 1234567", 'a run of seven or more digits ("1234567"), like a record number'),
        ("Pt seen, MRN 123456, L4-5", 'a record number ("MRN 123456")'),
        ("born 2 Feb '60, L5/S1", 'a full date ("2 Feb \'60")'),
        ("reply to a.b@example.org please", 'an e-mail address ("a.b@example.org")'),
        ("SSN 123-45-6789", 'an SSN-shaped number ("123-45-6789")'),
        ("ring (555) 123-4567", 'a phone number ("(555) 123-4567")'),
        ("D.O.B. 1960", 'a date of birth ("D.O.B. 1960")'),
        # the fragment is quoted as typed, without invisible characters
        (
            "ref \uff11\uff12\uff13\u200b4567 ok",
            'a run of seven or more digits ("\uff11\uff12\uff134567")',
        ),
    ],
)
def test_the_description_quotes_only_the_matched_fragment(text, description):
    assert find_identifier(text).startswith(description)


def test_a_long_fragment_is_shortened():
    what = find_identifier("9" * 200)
    assert len(what) < 120
    assert "…" in what


# --- the normaliser --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("\uff11\uff12\uff13", "123"),  # full-width
        ("\u00b9\u00b2\u00b3", "123"),  # superscript
        ("\u2460\u2461\u2473", "1220"),  # circled, ⑳ is 20
        ("\u0661\u0662\u0663", "123"),  # Arabic-Indic
        ("\u0967\u0968", "12"),  # Devanagari
        ("\u2780\u2781", "12"),  # dingbat circled digits (not NFKC-mapped)
        ("1\u20102\u20113\u20124\u20135\u20146\u20157\u22128", "1-2-3-4-5-6-7-8"),  # dashes
        ("a\u00a0b\u2007c\u202fd\u2009e\u3000f", "a b c d e f"),  # Unicode spaces
        ("1\u200b2\u200c3\u200d4\u20605\ufeff6\u00ad7", "1234567"),  # invisible characters
        ("\u201960 \u2032", "'60 '"),  # apostrophes and primes
        ("1\ufe0f\u20e3", "1"),  # keycap
        ("12\u20443", "12/3"),  # fraction slash
        ("L4\u2013L5, 2 mL", "L4-L5, 2 mL"),
    ],
)
def test_normalise(text, expected):
    assert normalise(text) == expected


def test_normalise_leaves_plain_text_alone():
    text = "Uneventful. L4-L5 right, 2 mL 0.5% bupivacaine.\n\tNo complications."
    assert normalise(text) == text


def test_normalise_turns_control_characters_into_spaces():
    assert normalise("123\x0b4567") == "123 4567"
    assert find_identifier("123\x0c4567") is not None


# --- speed -----------------------------------------------------------------------------------

NOTE = (
    "Right L4-5 and L5/S1 TFESI under fluoroscopy. Prone, skin prepped with chlorhexidine, "
    "1% lidocaine 3 mL to skin. 22G 3.5 inch spinal needle, 1 mL Omnipaque 240 showed "
    "epidural spread without vascular uptake, then dexamethasone 6.6 mg with 2 mL 0.25% "
    "bupivacaine at each level. VAS 8/10 pre, 2/10 at 30 min. DAP 1234.56 mGy\u00b7cm\u00b2, "
    "fluoro 45.2 s. Gabapentin 300 600 900 mg continued; review in March, follow-up in "
    "6 weeks. Marked improvement after the last block in 2021. "
)
LONG_NOTE = (NOTE * (2000 // len(NOTE) + 1))[:2000]


def fastest_of(runs, text):
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        find_identifier(text)
        best = min(best, time.perf_counter() - start)
    return best


def test_a_2000_character_note_is_checked_quickly():
    assert len(LONG_NOTE) == 2000
    assert find_identifier(LONG_NOTE) is None
    assert fastest_of(5, LONG_NOTE) < 0.050


@pytest.mark.parametrize(
    "text",
    [
        "1 " * 1000,
        "1." * 1000,
        "1-" * 1000,
        "12/" * 667,
        "1/10 " * 400,
        "a@" * 1000,
        "a." * 999 + "@",
        "x" * 2000,
        "1" + " " * 1998 + "x",
        "May " * 500,
        "2 Feb " * 333,
        "MRN " * 500,
        "\u2460\u00b2\uff13\u200b" * 500,
    ],
    ids=lambda text: repr(text[:8]),
)
def test_hostile_2000_character_inputs_do_not_backtrack(text):
    assert fastest_of(3, text) < 0.050
