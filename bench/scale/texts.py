"""The words of the seeded records: staff titles, how often each category is chosen, and the
pools of sentences that incidents and actions are written from (filled in by `str.format_map`
with the student's name and pronouns, a colleague, a place, a lesson...)."""

KEY_HOLDER_TITLES = [
    "Designated Safeguarding Lead",
    "Deputy Designated Safeguarding Lead",
    "Headteacher",
    "Deputy Headteacher",
    "Assistant Headteacher (Pastoral)",
]
STAFF_TITLES = [
    "Teaching assistant",
    "Teaching assistant",
    "Learning mentor",
    "Lunchtime supervisor",
    "Head of Year",
    "SENCO",
    "Attendance officer",
    "Family liaison officer",
    "School nurse",
    "Cover supervisor",
]

# (category, subcategory or "", weight): how often each is chosen for an incident.
CATEGORY_WEIGHTS = [
    ("Behaviour", "", 30),
    ("Bullying", "", 15),
    ("Home Issues", "", 12),
    ("Medical Issues", "", 10),
    ("SEND", "", 10),
    ("Child Protection", "", 5),
    ("Child Protection", "Cause for Concern", 4),
    ("Child Protection", "Early Help", 3),
    ("Child Protection", "CIN", 1),
    ("Child Protection", "CAF", 1),
    ("Child Protection", "Child Protection Plan", 1),
    ("LAC", "", 4),
    ("Prevent", "", 1),
]

PLACES = [
    "playground",
    "lunch hall",
    "corridor by the library",
    "school gates",
    "bus stop outside school",
    "changing rooms",
    "top field",
    "toilets by the science block",
    "classroom",
    "breakfast club",
]
LESSONS = ["maths", "English", "science", "PE", "art", "music", "history", "form time", "RE"]
TIMES = ["morning break", "lunchtime", "the end of the day", "registration", "afternoon break"]
CARERS = ["mum", "dad", "nan", "stepdad", "mum's partner", "aunt", "foster carer", "grandad"]
BODY = ["upper arm", "wrist", "cheek", "neck", "lower back", "shin", "forearm", "ear"]
PRONOUNS = {
    "F": {"he": "she", "him": "her", "his": "her", "He": "She", "His": "Her"},
    "M": {"he": "he", "him": "him", "his": "his", "He": "He", "His": "His"},
}

INCIDENT_TEXT = {
    "Behaviour": [
        "{n} threw a chair across the {place} at {time} after being told to wait {his} turn; "
        "nobody was hurt but two children were upset.",
        "{n} refused to follow instructions in {lesson}, swore at {staff} and left the room "
        "without permission.",
        "{n} was in a fight with another student in the {place} at {time} and had to be "
        "separated by staff.",
        "{n} was found in the {place} during {lesson} and would not say why {he} had left.",
    ],
    "Bullying": [
        "{n} told {staff} that a group of older students have been calling {him} names at {time} "
        "and in a group chat at home.",
        "{n} came to me in tears at {time} saying that other children would not let {him} join "
        "in and had taken {his} bag.",
        "{n} showed me messages on {his} phone from other students saying that nobody likes {him}.",
    ],
    "Child Protection": [
        "{n} arrived with a bruise on {his} {body} and said that it happened at home but would "
        "not say how.",
        "{n} disclosed at {time} that {his} {carer} hits {him} when they argue, and that it "
        "happened again last night.",
        "{n} said that {he} did not want to go home tonight because {his} {carer} had been "
        "shouting and throwing things.",
        "{n} told {staff} that an adult {he} met online has asked {him} to keep their chats a "
        "secret and to send photos.",
        "{n} was not collected at the end of the day; {his} {carer} arrived at 5:40pm and "
        "seemed to be under the influence.",
    ],
    "Home Issues": [
        "{n} has been late every day this week and said {he} has to get {his} younger brothers "
        "ready because {his} {carer} is unwell.",
        "{n} said there was no food in the house at the weekend and that {he} had not had "
        "breakfast for three mornings.",
        "{n} was wearing the same clothes for the third day and said the washing machine at "
        "home is broken.",
        "{n} told me that {his} {carer} has moved out and that {he} is worried about money.",
    ],
    "LAC": [
        "{n}'s placement has changed again this week; {he} seemed withdrawn in {lesson} and did "
        "not want to talk.",
        "{n} became upset after contact with {his} birth family and asked to speak to {staff} "
        "at {time}.",
    ],
    "Medical Issues": [
        "{n} complained of headaches for the third day running and was sent to the office; "
        "{his} {carer} was phoned.",
        "{n} has lost a noticeable amount of weight this term and is often not eating {his} lunch.",
        "{n} had an asthma attack at {time}; the inhaler in the office was used and {his} "
        "{carer} collected {him}.",
    ],
    "Prevent": [
        "{n} repeated extremist views in {lesson} that {he} said came from videos online, and "
        "showed one to other students.",
        "{n} drew symbols linked to a far-right group in {his} book and said an older cousin "
        "had shown {him} them.",
    ],
    "SEND": [
        "{n} became very distressed during the fire drill and hid under a table; calmed with "
        "ear defenders and a quiet space.",
        "{n} struggled with the change of teacher in {lesson} and hit out at a teaching "
        "assistant; {his} support plan needs review.",
        "{n} was overwhelmed at {time} after a difficult morning; time in the sensory room helped.",
    ],
}
FOLLOW_UPS = [
    "I spoke to {n} calmly and {he} went back to class.",
    "I reassured {n} that {he} had done the right thing in telling me.",
    "I did not ask leading questions and have written down {his} words as closely as I can.",
    "{n} seemed calmer by the end of the day.",
    "{His} {carer} was told at pick-up.",
    "I have passed this to the DSL for advice.",
    "This is the second time this half term that I have noticed this.",
    "{staff} was also on duty and saw what happened.",
    "{n} asked me not to tell anyone; I explained that I have to pass it on to keep {him} safe.",
]
ACTION_TEXT = [
    "Spoke to {n} in a quiet room; {he} repeated what {he} had told {staff}.",
    "Phoned {n}'s {carer} to discuss the incident; they were supportive and will talk to {n} "
    "at home.",
    "Referral made to Children's Social Care through the front door; awaiting a decision "
    "within one working day.",
    "Discussed at the weekly safeguarding meeting: keep monitoring and review in two weeks.",
    "Checked in with {n} at {time}; {he} said things were a bit better at home.",
    "Asked {agency} for advice; advised to keep monitoring and record any further concerns.",
    "Met {n}'s {carer} with {staff} and agreed a support plan for the rest of the term.",
    "Early Help assessment started with the family's agreement.",
    "No further action at this stage; {staff} will keep an eye on {n}.",
    "Letter sent home and a meeting arranged for next week.",
    "Police informed; the crime reference number is on the file.",
    "Shared with the school nurse, who will see {n} this week.",
]
ACTION_FOLLOW_UPS = [
    "{n} was told what will happen next.",
    "Parents informed of the outcome.",
    "Next review at the safeguarding meeting.",
    "Class teacher updated.",
]
