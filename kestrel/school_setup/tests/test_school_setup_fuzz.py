"""Whatever is typed into the add-student and add-category forms, the answer is the form again
(200) or a saved row (302): never a server error. Hypothesis posts random, unicode, huge and
control-character values in every field through the test client."""

from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kestrel.incidents.models import Category
from kestrel.students.models import Student
from kestrel.students.upn import make_upn

FUZZ = settings(
    deadline=None,
    max_examples=60,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Characters a form should never choke on: controls (NUL included), lone combining marks,
# right-to-left text, emoji, non-ASCII digits and the characters HTML and SQL treat specially.
AWKWARD = st.sampled_from(
    [
        "\x00",
        "\x07\x1b[31m",
        "\r\n",
        "\u0301",
        "\u202e",
        "مرحبا",
        "٣",
        "²",
        "🦅",
        "<script>",
        "' OR 1=1 --",
        "%s",
        "{{ x }}",
        "\ufeff",
    ]
)
TEXT = st.one_of(
    st.text(max_size=30),
    st.text(min_size=200, max_size=3000),
    st.lists(AWKWARD, min_size=1, max_size=4).map("".join),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.just(""),
)


def posts(valid: dict, *, choices: dict | None = None):
    """Posts that are random in every field, or valid but for up to three fields.

    The second kind gets past the first error, into model validation, constraints and saving.
    A field's random value may also be "missing": left out of the post altogether.
    """
    choices = choices or {}

    def value_for(name):
        return st.one_of(st.sampled_from(choices.get(name, [valid[name]])), TEXT, st.none())

    random = st.fixed_dictionaries({name: value_for(name) for name in valid})
    nearly_valid = st.builds(
        lambda base, changes: {**base, **changes},
        st.fixed_dictionaries(
            {name: st.sampled_from(choices.get(name, [valid[name]])) for name in valid}
        ),
        st.lists(
            st.sampled_from(sorted(valid)).flatmap(
                lambda name: st.tuples(st.just(name), value_for(name))
            ),
            max_size=3,
        ).map(dict),
    )
    return st.one_of(random, nearly_valid).map(
        lambda data: {name: value for name, value in data.items() if value is not None}
    )


VALID_STUDENT = {
    "legal_first_name": "Hannah",
    "legal_last_name": "Greenwood",
    "preferred_first_name": "",
    "preferred_last_name": "",
    "date_of_birth_0": "27",
    "date_of_birth_1": "3",
    "date_of_birth_2": "2017",
    "upn": "",
    "year_group": "3",
    "tutor_group": "3A",
    "on_roll": "on",
    "left_on_0": "",
    "left_on_1": "",
    "left_on_2": "",
}
UPNS = ["", *[make_upn(886, 3001, 21, n) for n in range(5)]]


def assert_answered_without_error(client, response, data, list_url):
    assert response.status_code in {200, 302}
    if response.status_code == 200 and data:
        assert "There is a problem" in response.text
    if response.status_code == 302:
        assert client.get(list_url).status_code == 200


def test_random_input_to_the_add_student_form_never_causes_a_server_error(signed_in, people):
    client = signed_in(people.admin)
    url = reverse("schools:add", args=["students"])
    list_url = reverse("schools:section", args=["students"])

    @FUZZ
    @given(data=posts(VALID_STUDENT, choices={"upn": UPNS}))
    def post(data):
        response = client.post(url, data)
        assert_answered_without_error(client, response, data, list_url)

    post()
    assert not Student.objects.exclude(school=people.admin.school).exists()


def test_random_input_to_the_add_category_form_never_causes_a_server_error(
    signed_in, people, levels, school
):
    client = signed_in(people.admin)
    url = reverse("schools:add", args=["categories"])
    list_url = reverse("schools:section", args=["categories"])
    main = Category.objects.create(school=school, name="Child protection", access_level=levels.dsl)
    valid = {
        "name": "Bullying",
        "parent": "",
        "access_level": str(levels.staff.pk),
        "position": "1",
        "is_active": "on",
    }
    choices = {
        "name": ["Bullying", "bullying", "Neglect", "Child protection"],
        "parent": ["", str(main.pk), "0", "-1", "1e3", "99999999999999999999"],
        "access_level": [str(levels.staff.pk), str(levels.dsl.pk), "0", "99999999999999999999"],
        "position": ["", "0", "1", "32767", "32768", "-1"],
    }

    @FUZZ
    @given(data=posts(valid, choices=choices))
    def post(data):
        response = client.post(url, data)
        assert_answered_without_error(client, response, data, list_url)

    post()
    assert not Category.objects.exclude(school=school).exists()


def test_random_search_and_filter_values_never_cause_a_server_error(signed_in, people):
    client = signed_in(people.admin)
    url = reverse("schools:section", args=["students"])

    @FUZZ
    @given(q=TEXT, status=TEXT, page=TEXT)
    def search(q, status, page):
        response = client.get(url, {"q": q, "status": status, "page": page})
        assert response.status_code == 200

    search()
