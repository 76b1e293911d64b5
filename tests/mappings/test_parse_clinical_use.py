"""Clinical-use rules, one sentence in and the items out: whole concepts, no placeholders or labels,
no negated or hedged facts, contraindication vs warning by modality, combinations' own ingredients."""

from __future__ import annotations

import pytest

from mappings.model import Monograph
from mappings.parse import parse_text
from mappings.parse.lists import concepts, is_placeholder
from mappings.parse.precautions import statements_in_notes


def page(title: str, body: str) -> Monograph:
    return parse_text(f"---\ntitle: {title}\n---\n# {title}\n{body}", "x.md")


def usage(text: str, title: str = "Examplol") -> list[str]:
    return [i.condition for i in page(title, f"### Usage\n{text}\n").indications]


def precautions(text: str, title: str = "Examplol") -> Monograph:
    return page(title, f"### Precautions\n{text}\n")


# --- lists: whole concepts with their qualifiers ----------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("severe liver or kidney disease", ["severe liver disease", "severe kidney disease"]),
        (
            "mild to moderate hepatic or renal impairment",
            ["mild to moderate hepatic impairment", "mild to moderate renal impairment"],
        ),
        (
            "upper and lower respiratory tract infections",
            ["upper respiratory tract infections", "lower respiratory tract infections"],
        ),
        (
            "hospital-acquired or ventilator-associated pneumonia",
            ["hospital-acquired pneumonia", "ventilator-associated pneumonia"],
        ),
        ("head and neck cancer", ["head and neck cancer"]),
        ("skin and skin structure infections", ["skin and skin structure infections"]),
        (
            "known allergy to penicillin or cephalosporin antibiotics",
            ["known allergy to penicillin antibiotics", "known allergy to cephalosporin antibiotics"],
        ),
        (
            "hypersensitivity to cinoxacin or any component of the formulation and those with convulsive disorders",
            [
                "hypersensitivity to cinoxacin",
                "hypersensitivity to any component of the formulation",
                "those with convulsive disorders",
            ],
        ),
        # the allergy head stops at the first condition of its own
        (
            "hypersensitivity to the drug, glaucoma, or urinary retention",
            ["hypersensitivity to the drug", "glaucoma", "urinary retention"],
        ),
        (
            "serious, potentially life-threatening fungal infections",
            ["serious, potentially life-threatening fungal infections"],
        ),
        ("women who are or may become pregnant", ["women who are or may become pregnant"]),
    ],
)
def test_concepts_keep_their_qualifiers(text, expected):
    assert concepts(text) == expected


@pytest.mark.parametrize(
    "name",
    [
        "other medications",
        "many other medications",
        "numerous other medications",
        "several drugs",
        "other medications you are taking",
        "any component of the formulation",
        "these",
    ],
)
def test_placeholders(name):
    assert is_placeholder(name)


@pytest.mark.parametrize("name", ["warfarin", "other NSAIDs", "certain antidepressants", "live vaccines"])
def test_named_drugs_are_not_placeholders(name):
    assert not is_placeholder(name)


# --- indications -------------------------------------------------------------------------------------


def test_use_labels_are_not_indications_their_text_is():
    found = usage(
        "* **Primary Use:** Treatment of anxiety disorders and panic disorders.\n"
        "* **Off-label:** Sometimes used to treat certain types of seizures."
    )
    assert "Primary Use" not in found and "Off-label" not in found
    assert {"anxiety disorders", "panic disorders", "certain types of seizures"} <= set(found)


@pytest.mark.parametrize(
    "text",
    [
        "It is generally not recommended for complicated UTIs.",
        "Examplol does not treat hypertension.",
        "Some studies suggest potential benefits in heart failure, but more research is needed.",
        "While it has historically been used in cardiogenic shock, newer treatments are preferred.",
    ],
)
def test_negated_and_hedged_statements_are_no_indications(text):
    assert usage(text) == []


def test_conditions_of_a_use_sentence_split_with_their_qualifiers():
    found = usage(
        "Examplol is used to treat severe liver or kidney disease and nausea associated with pregnancy."
    )
    assert found == ["severe liver disease", "severe kidney disease", "nausea associated with pregnancy"]


def test_placeholder_examples_are_the_items():
    assert usage("It is used to treat various conditions such as asthma and bronchitis.") == [
        "asthma",
        "bronchitis",
    ]


def test_a_site_label_gives_way_to_the_condition_it_names():
    assert usage(
        "* **Ears:** Acute otitis media (middle ear infection)\n* Mouth (odontogenic infections)"
    ) == [
        "Acute otitis media (middle ear infection)",
        "odontogenic infections",
    ]


@pytest.mark.parametrize(
    "text", ["* ClCr 50-31 mL/min", "* (IM)", "* Improved digestion: better absorption."]
)
def test_renal_bands_routes_and_benefits_are_no_indications(text):
    assert usage(text) == []


def test_prevention_is_said():
    assert usage("Also used for preventing stress ulcers.") == ["prevention of stress ulcers"]


def test_population_stays_with_the_condition():
    assert usage("Belimumab is indicated for adults with active lupus nephritis.") == [
        "active lupus nephritis in adults"
    ]


# --- contraindications and warnings by the text's modality -----------------------------------------


def test_contraindication_is_the_condition_without_the_lead_in():
    m = precautions(
        "Alprazolam should be avoided in individuals with known hypersensitivity to benzodiazepines.",
        "Alprazolam",
    )
    assert [c.text for c in m.contraindications] == ["known hypersensitivity to benzodiazepines"]
    assert m.warnings == []


@pytest.mark.parametrize(
    "sentence",
    [
        "Examplol is contraindicated in patients with severe liver or kidney disease.",
        "Do not use Examplol if you have severe liver or kidney disease.",
        "Examplol should not be used in severe liver or kidney disease.",
        "Examplol must not be given to patients with severe liver or kidney disease.",
    ],
)
def test_must_not_makes_contraindications(sentence):
    m = precautions(sentence)
    assert [c.text for c in m.contraindications] == ["severe liver disease", "severe kidney disease"]


@pytest.mark.parametrize(
    "sentence",
    [
        "Use with caution in patients with liver disease.",
        "Monitor liver function in patients with liver disease.",
        "Avoid use in patients over 70 if possible.",
        "It is not recommended in patients with liver disease.",
        "Breastfeeding should be avoided during treatment.",
        "Examplol should not be used without consulting a doctor in liver disease.",
    ],
)
def test_caution_makes_warnings(sentence):
    m = precautions(sentence)
    assert m.contraindications == [] and [w.text for w in m.warnings] == [sentence]


def test_a_caution_under_a_contraindications_label_is_a_warning():
    m = precautions(
        "* **Contraindications:** Oral use is usually not recommended in children under 2 years old."
    )
    assert m.contraindications == [] and len(m.warnings) == 1


def test_the_drug_is_named_and_a_listed_contraindication_counts():
    m = precautions(
        "* **Contraindications:** Hypersensitivity to it or other PABA ester-type anesthetics. "
        "Severe allergic reaction to a previous dose is also a contraindication."
    )
    assert [c.text for c in m.contraindications] == [
        "Hypersensitivity to Examplol",
        "Hypersensitivity to other PABA ester-type anesthetics",
        "Severe allergic reaction to a previous dose",
    ]


def test_a_way_of_giving_it_is_part_of_the_contraindication():
    m = precautions("Intramuscular injection is also contraindicated in pediatric patients.")
    assert [c.text for c in m.contraindications] == ["Intramuscular injection in pediatric patients"]


def test_no_contraindication_is_no_contraindication():
    m = precautions("While no specific contraindications are listed, hypersensitivity reactions can occur.")
    assert m.contraindications == []


# --- interactions --------------------------------------------------------------------------------------


def test_placeholders_give_way_to_the_named_examples():
    m = precautions(
        "* **Interactions:** Examplol can interact with many other medications, including blood "
        "thinners, other NSAIDs, and certain antidepressants. Inform your doctor about all medications."
    )
    assert [i.interactant for i in m.interactions] == [
        "blood thinners",
        "other NSAIDs",
        "certain antidepressants",
    ]
    assert m.warnings == []  # the advice names nothing


def test_class_examples_are_items_too():
    m = precautions("Examplol may interact with other CNS depressants (e.g., opioids, alcohol).")
    assert [(i.interactant, i.kind) for i in m.interactions] == [
        ("other CNS depressants", "drug"),
        ("opioids", "drug"),
        ("alcohol", "alcohol"),
    ]


def test_a_relative_phrase_is_one_name_per_object():
    m = precautions(
        "Examplol may interact with other medications, particularly those that prolong the QT interval."
    )
    assert [i.interactant for i in m.interactions] == ["medications that prolong the QT interval"]


def test_an_interaction_that_names_nothing_is_no_statement():
    m = precautions("Examplol can interact with various medications.")
    assert m.interactions == [] and m.warnings == []


def test_a_drug_as_subject_is_the_interactant():
    m = precautions(
        "* **Drug Interactions:** Probenecid can decrease the renal excretion of Examplol. "
        "Live vaccines should be avoided during treatment."
    )
    assert [i.interactant for i in m.interactions] == ["Probenecid", "Live vaccines"]


def test_the_products_own_ingredients_are_no_interactants():
    m = page(
        "Atenolol + Atorvastatin",
        "### Precautions (Atenolol)\nAtenolol may interact with atorvastatin and digoxin.\n",
    )
    assert [i.interactant for i in m.interactions] == ["digoxin"]


def test_an_own_ingredient_allergy_is_a_contraindication():
    m = page(
        "Meclizine + Pyridoxine",
        "### Precautions\nIt is contraindicated in individuals with hypersensitivity "
        "to Meclizine, Pyridoxine, or any formulation component.\n",
    )
    assert [c.text for c in m.contraindications] == [
        "hypersensitivity to Meclizine",
        "hypersensitivity to Pyridoxine",
        "hypersensitivity to any formulation component",
    ]


def test_facts_keep_their_ingredient():
    m = page(
        "Ketorolac + Tramadol",
        "### Tramadol\n**Precautions:**\n* **Interactions:** Tramadol can interact with sedatives.\n",
    )
    assert [(i.interactant, i.component) for i in m.interactions] == [("sedatives", "Tramadol")]


# --- advice, disclaimers, FAQs, dosing prose ----------------------------------------------------------


def test_advice_and_disclaimers_are_no_warnings():
    m = page(
        "Examplol",
        "### Side Effects\n* Headache\n\nNote: This is not an exhaustive list.\n"
        "If you experience any side effects, contact your doctor.\n",
    )
    assert m.warnings == [] and "not an exhaustive list" in m.disclaimer


def test_a_faq_answer_that_states_a_precaution_is_a_warning():
    m = page(
        "Examplol",
        "### FAQs\n* **Q: Can I stop taking Examplol abruptly?** A: No, abrupt withdrawal can lead "
        "to withdrawal symptoms.\n* **Q: Is it habit-forming?** A: It is not considered habit-forming.\n",
    )
    assert [w.label for w in m.warnings] == ["Can I stop taking Examplol abruptly?"]


def test_dosing_prose_states_precautions_too():
    m = Monograph(
        "x.md",
        "0",
        "Ketorolac",
        "Ketorolac",
        ["Ketorolac"],
        dosage_notes=[
            "Oral (Tablet): Dosage varies depending on the severity of pain. Children should not take Ketorolac.",
            "Renal Impairment: Avoid use in patients with severe renal impairment.",
            "Adults: 10 mg every 4 to 6 hours, not to exceed 40 mg per day.",
        ],
    )
    contraindications, warnings = statements_in_notes(m)
    assert [c.text for c in contraindications] == ["Children"]
    assert [(w.topic, w.text) for w in warnings] == [
        ("renal", "Avoid use in patients with severe renal impairment.")
    ]


# --- side effects ------------------------------------------------------------------------------------


def test_side_effects_split_into_effects_not_places():
    m = page(
        "Examplol",
        "### Side Effects\n* Nausea and vomiting\n* Swelling in the hands, feet, or ankles\n"
        "* **Nervous system:** Seizures\n* Allergic reactions (including anaphylaxis, angioedema)\n",
    )
    terms = [s.term for s in m.side_effects]
    assert terms[:4] == ["Nausea", "vomiting", "Swelling in the hands, feet, or ankles", "Seizures"]
    assert {"Allergic reactions", "anaphylaxis", "angioedema"} <= set(terms)
    assert "feet" not in terms and "Nervous system" not in terms


# --- round two: qualifiers, umbrellas, restrictions -------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a limit of the use belongs to the item
        ("Examplol is used for the short-term relief of insomnia.", ["short-term relief of insomnia"]),
        # an umbrella and the symptoms it involves are no items
        ("It is used to treat various conditions involving nausea, vomiting, and dizziness.", []),
        # an explanation is read only when the statement names nothing
        (
            "It is primarily used as an antiemetic, meaning it helps to prevent or relieve nausea and vomiting.",
            ["prevention of nausea", "prevention of vomiting"],
        ),
        (
            "It is used for procedural sedation, meaning it helps reduce pain during procedures.",
            ["procedural sedation"],
        ),
        # a concessive clause restates or hedges
        ("While primarily used for hypertension, it may be considered for other conditions.", []),
        # the restriction that changes who is treated is part of the condition: no bare head
        ("Its primary use is in treating breast cancer that has spread to other parts of the body.", []),
        # a lead-in that the bullets complete names no condition itself
        ("This combination is primarily used for treating infected skin conditions, such as:", []),
        # an apposition explains
        (
            "The vaccine is used to prevent yellow fever, a serious viral fever transmitted by mosquitoes.",
            ["prevention of yellow fever"],
        ),
        # the population after the places holds for each
        (
            "It is indicated for the short-term management of agitation associated with schizophrenia or "
            "bipolar I disorder in adults experiencing acute episodes.",
            [
                "short-term management of agitation associated with schizophrenia in adults experiencing acute "
                "episodes",
                "short-term management of agitation associated with bipolar I disorder in adults experiencing "
                "acute episodes",
            ],
        ),
        # coordinate adjectives are no list
        (
            "It is used to treat respiratory tract illnesses characterized by thick, sticky mucus.",
            ["respiratory tract illnesses characterized by thick, sticky mucus"],
        ),
        # the parenthesis names the kinds
        (
            "It is used to treat lymphomas (Hodgkin's and non-Hodgkin's).",
            ["Hodgkin's lymphoma", "non-Hodgkin's lymphoma"],
        ),
        ("While primarily used for genotype 4, it may be considered for other genotypes.", []),
        # a site head reaches every site of the list
        (
            "It treats infections of the urinary tract, bones and joints, skin and skin structures.",
            [
                "infections of the urinary tract",
                "infections of bones",
                "infections of joints",
                "infections of skin and skin structures",
            ],
        ),
    ],
)
def test_use_sentences_keep_their_restrictions(text, expected):
    assert usage(text) == expected


def test_labels_that_head_or_say_who_are_no_conditions():
    assert usage("* **Infected eczema or dermatitis:** Conditions causing itchy, inflamed skin.") == [
        "Infected eczema",
        "Infected dermatitis",
    ]
    assert usage("* **Other lymphomas and leukemias:** Used in various other blood cancers.") == []
    assert usage("* **Immunosuppression:** It is useful for autoimmune disorders such as:") == []
    assert "chronic kidney disease" not in " ".join(
        usage("* **Adults with chronic kidney disease:** It is used to treat anemia in these patients.")
    )
    assert usage("* **Soft tissue injuries:** Sprains, strains, and bruises.") == [
        "Sprains",
        "strains",
        "bruises",
    ]
    assert usage(
        "* **Complicated urinary tract infections (UTIs) and pyelonephritis (in pediatric patients):** Severe UTIs."
    ) == ["Complicated urinary tract infections (UTIs)", "pyelonephritis (in pediatric patients)"]


def test_a_lead_in_qualifies_the_bullets_it_leads():
    assert usage("Primary uses include treating infections of the:\n\n* Diabetic foot\n") == [
        "Diabetic foot infections"
    ]
    assert usage(
        "It is effective in managing rhinorrhea associated with several conditions, including:\n\n"
        "* **Seasonal allergic rhinitis:** A runny nose related to seasonal allergies.\n"
    ) == ["rhinorrhea in Seasonal allergic rhinitis"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "A history of allergic reactions to amoxicillin or clavulanic acid",
            [
                "A history of allergic reactions to amoxicillin",
                "A history of allergic reactions to clavulanic acid",
            ],
        ),
        (
            "Renal failure with oliguria or anuria (low or no urine output) not related to hypovolemia",
            [
                "Renal failure with oliguria not related to hypovolemia",
                "Renal failure with anuria not related to hypovolemia",
            ],
        ),
        ("neonates and infants under 2 years of age", ["neonates and infants under 2 years of age"]),
        (
            "a history of anaphylaxis or severe systemic reactions to IgG",
            ["a history of anaphylaxis to IgG", "severe systemic reactions to IgG"],
        ),
        ("Relapsed or refractory mantle cell lymphoma", ["Relapsed or refractory mantle cell lymphoma"]),
        (
            "malignant pleural or peritoneal effusions",
            ["malignant pleural effusions", "malignant peritoneal effusions"],
        ),
    ],
)
def test_concepts_share_heads_objects_and_tails(text, expected):
    assert concepts(text) == expected


def test_not_suitable_is_a_precaution():
    m = precautions("This medication is not suitable for treating deep or severely infected wounds.")
    assert m.contraindications == [] and len(m.warnings) == 1


def test_a_contraindicated_combination_is_an_interaction_too():
    m = precautions(
        "* **Contraindications:** Examplol is contraindicated in patients with hypersensitivity to the drug, "
        "those receiving systemic steroids, clonidine or H2 blockers, and pregnant women."
    )
    assert [i.interactant for i in m.interactions] == ["systemic steroids", "clonidine", "H2 blockers"]
    assert "clonidine" in [c.text for c in m.contraindications]


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        (
            "Use cautiously in individuals with bleeding disorders or those taking anticoagulants (blood thinners).",
            ["anticoagulants (blood thinners)"],
        ),
        ("Live vaccines should generally be avoided during Examplol therapy.", ["Live vaccines"]),
        (
            "Avoid alcohol and other CNS depressants while using this medication.",
            ["alcohol", "other CNS depressants"],
        ),
        ("Avoid alcohol while taking Examplol.", []),  # advice about drinking
        (
            "Inform your doctor if you are taking other medications, especially those affecting metabolism.",
            [],
        ),
        ("Patients taking Examplol have an increased risk of serious infections.", []),
        (
            "Use with caution in those taking certain drugs that lower blood pressure (antihypertensives).",
            ["antihypertensives"],
        ),
    ],
)
def test_drugs_taken_with_it_are_interactants(sentence, expected):
    assert [i.interactant for i in precautions(sentence).interactions] == expected


def test_every_cue_of_a_sentence_names_its_interactants():
    m = precautions(
        "* **Drug Interactions:** It can increase the effects of anticoagulants, potentiate the action of "
        "sulfonylureas, and increase the risk of myopathy when used with statins."
    )
    assert [i.interactant for i in m.interactions] == ["anticoagulants", "sulfonylureas", "statins"]


def test_vaccine_examples_name_vaccines():
    m = precautions(
        "* **Interactions:** Antibodies may reduce the effectiveness of live attenuated virus vaccines "
        "(such as mumps and measles)."
    )
    assert [i.interactant for i in m.interactions] == [
        "live attenuated virus vaccines",
        "live attenuated mumps vaccine",
        "live attenuated measles vaccine",
    ]


def test_alcohol_that_acts_is_an_interactant():
    acts = page("Examplol", "### FAQs\n* **Q: Can I drink alcohol?** A: Alcohol can increase drowsiness.\n")
    assert [(i.interactant, i.kind) for i in acts.interactions] == [("alcohol", "alcohol")]
    advice = page(
        "Examplol",
        "### FAQs\n* **Q: Can I drink alcohol?** A: No, alcohol should be avoided as it can harm.\n",
    )
    assert advice.interactions == [] and [w.topic for w in advice.warnings] == ["alcohol"]


def test_side_effect_groups_name_their_effects_and_so_do_allergy_signs():
    m = page(
        "Examplol",
        "### Side Effects\n* Renal toxicity (azotemia, anuria, proteinuria)\n"
        "* Allergic reactions (rash, hives, swelling)\n"
        "* Burning or stinging sensation at the application site\n"
        "* Hypotension (low blood pressure), including orthostatic hypotension\n",
    )
    terms = [s.term for s in m.side_effects]
    assert {"Renal toxicity", "azotemia", "anuria", "proteinuria", "orthostatic hypotension"} <= set(terms)
    assert {"Allergic reactions", "rash", "hives", "swelling"} <= set(terms)
    assert {"Burning sensation at the application site", "stinging sensation at the application site"} <= set(
        terms
    )


def test_a_place_or_an_adjective_is_shared_by_a_list():
    m = page(
        "Examplol",
        "### Side Effects\nCommon side effects include pain, redness, or swelling at the injection site, "
        "fever, and paradoxical anxiety or agitation.\n",
    )
    assert [s.term for s in m.side_effects] == [
        "pain at the injection site",
        "redness at the injection site",
        "swelling at the injection site",
        "fever",
        "paradoxical anxiety",
        "paradoxical agitation",
    ]
    assert all(s.source.startswith("Common side effects include pain, redness,") for s in m.side_effects)


# --- round three: enumerations, umbrellas with their examples, hypotheticals, the product itself ------------


def side_effects(text: str) -> list[str]:
    return [s.term for s in page("Examplol", f"### Side Effects\n{text}\n").side_effects]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a parenthesis that names two or more effects names effects, besides the group
        (
            "* Allergic reactions (rash, itching, swelling, difficulty breathing)",
            ["Allergic reactions", "rash", "itching", "swelling", "difficulty breathing"],
        ),
        # one thing counts only after a vague group; after a severe one or a specific term it glosses
        ("* Kidney problems (interstitial nephritis)", ["Kidney problems", "interstitial nephritis"]),
        ("* Severe allergic reactions (anaphylaxis)", ["Severe allergic reactions"]),
        ("* Paresthesia (numbness or tingling)", ["Paresthesia"]),
        # places, what is measured and circumstances are no effects
        ("* Angioedema (swelling of the face, lips, or tongue)", ["Angioedema"]),
        ("* Increased liver enzymes (AST, ALT)", ["Increased liver enzymes"]),
        ("* Seizures (especially in patients with renal impairment or high doses)", ["Seizures"]),
        # the group's site reaches its examples; a shared site noun and a slash make two effects
        (
            "* Injection site reactions (erythema, pain)",
            ["Injection site reactions", "Injection site erythema", "Injection site pain"],
        ),
        ("* Skin irritation or redness.", ["Skin irritation", "Skin redness"]),
        (
            "* Increased wound secretion/skin blister (especially after surgery)",
            ["Increased wound secretion", "skin blister"],
        ),
        # an organ system's effects is a group that stays, and "peripheral and optic neuritis" is two
        (
            "* Central nervous system effects (numbness, chills, etc.)",
            ["Central nervous system effects", "numbness", "chills"],
        ),
        (
            "* Rare: neurological problems (psychosis, peripheral and optic neuritis), visual disturbances",
            [
                "neurological problems",
                "psychosis",
                "peripheral neuritis",
                "optic neuritis",
                "visual disturbances",
            ],
        ),
        # what the sentence says of its list is no part of the last effect
        (
            "* **Common:** Mild gastrointestinal upset (nausea, vomiting) are occasionally reported.",
            ["Mild gastrointestinal upset", "nausea", "vomiting"],
        ),
        # an ingredient's label is no effect; its sentence names the effects
        (
            "* **CoQ10:** Some individuals may experience mild stomach upset, headache, or sleep disturbances.",
            ["mild stomach upset", "headache", "sleep disturbances"],
        ),
        # the sentences after a bullet's list are read too
        (
            "* **Ofloxacin:** Nausea, vomiting. In rare cases, allergic reactions (such as swelling of the face, "
            "lips, or throat) can occur.",
            ["Nausea", "vomiting", "swelling of the face, lips, or throat"],
        ),
        # disclaimers are never effects
        ("**Less common but serious (<1%):** These are not exhaustive.\n\n* Chest pain", ["Chest pain"]),
        (
            "If you experience any concerning side effects, including those not listed here, stop taking it.",
            [],
        ),
    ],
)
def test_side_effect_enumerations_glosses_and_disclaimers(text, expected):
    assert side_effects(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # an umbrella and the examples it names in parentheses; a gloss names nothing more
        (
            "* Lower respiratory tract infections (like pneumonia and bronchitis)",
            ["Lower respiratory tract infections (like pneumonia and bronchitis)", "pneumonia", "bronchitis"],
        ),
        (
            "* Meningitis (infection of the brain and spinal cord)",
            ["Meningitis (infection of the brain and spinal cord)"],
        ),
        # a label that names a condition and then its examples is one besides them; a gloss, a description or
        # a stage is no example
        (
            "* **Skin and soft tissue infections:** Including cellulitis and abscesses.",
            ["Skin and soft tissue infections", "cellulitis", "abscesses"],
        ),
        (
            "* **Bone and joint infections:** Osteomyelitis (infection of the bone).\n"
            "* **Intra-abdominal infections:** Infections within the abdomen.\n"
            "* **Hepatocellular carcinoma (HCC):** Advanced disease.",
            [
                "Bone and joint infections",
                "Osteomyelitis (infection of the bone)",
                "Intra-abdominal infections",
                "Hepatocellular carcinoma (HCC)",
            ],
        ),
        # in running prose the examples spell out the item before them
        (
            "It is used to treat complicated urinary tract infections (UTIs), including pyelonephritis.",
            ["pyelonephritis"],
        ),
        (
            "It treats primary immunodeficiency. This includes, but is not limited to, X-linked "
            "agammaglobulinemia and Wiskott-Aldrich syndrome.",
            ["primary immunodeficiency", "X-linked agammaglobulinemia", "Wiskott-Aldrich syndrome"],
        ),
        # "other cancers" stands for the examples
        (
            "It is also used in the treatment of other cancers such as esophageal cancer and gastric cancer.",
            ["esophageal cancer", "gastric cancer"],
        ),
        # adjectives as examples take the head they are kinds of
        (
            "It is used to treat various forms of leishmaniasis, including cutaneous, mucosal, and visceral.",
            ["cutaneous leishmaniasis", "mucosal leishmaniasis", "visceral leishmaniasis"],
        ),
        # a qualifier holds for each example
        (
            "It's commonly used for headaches, fever, and inflammation associated with conditions like arthritis.",
            ["headaches", "fever", "inflammation associated with arthritis"],
        ),
        # a site noun qualifies the symptoms listed after it
        ("It is used to treat muscle stiffness and spasms.", ["muscle stiffness", "muscle spasms"]),
        # a stated purpose keeps its verb
        (
            "It is primarily used to support cardiovascular health, cognitive function, and overall well-being.",
            ["support cardiovascular health", "support cognitive function", "support overall well-being"],
        ),
        # an apposition between dashes, an abbreviation's full stop
        (
            "It is used to treat benign prostatic hyperplasia (BPH) – an enlarged prostate gland – and male "
            "pattern baldness.",
            ["benign prostatic hyperplasia (BPH)", "male pattern baldness"],
        ),
        (
            "It is designed to treat Helicobacter pylori (H. pylori) infection.",
            ["Helicobacter pylori (H. pylori) infection"],
        ),
        # bare nausea and vomiting is two complaints, a named syndrome one; a label's time reaches each
        (
            "It is used to prevent or relieve nausea and vomiting.",
            ["prevention of nausea", "prevention of vomiting"],
        ),
        (
            "It is used for postoperative nausea and vomiting (PONV).",
            ["postoperative nausea and vomiting (PONV)"],
        ),
        (
            "* **Post-surgical swelling and inflammation:** Reducing discomfort.",
            ["Post-surgical swelling", "Post-surgical inflammation"],
        ),
        # a use restricted to where others fail, and what was likely, state no bare use
        ("It is used for bacterial infections where other tetracyclines are ineffective.", []),
        ("It treats anemia that causes symptoms in kidney failure.", []),
        ("It was likely prescribed to reduce airway inflammation in asthma.", []),
    ],
)
def test_umbrellas_examples_and_purposes(text, expected):
    assert usage(text) == expected


@pytest.mark.parametrize(
    ("text", "title", "contraindications", "interactions"),
    [
        (
            "**Contraindications:**\n\n* Fluid overload conditions (e.g., pulmonary edema, heart failure)",
            "Examplol",
            ["Fluid overload conditions", "pulmonary edema", "heart failure"],
            [],
        ),
        (
            "* **Skin:** A history of severe skin reactions (AGEP, Stevens-Johnson syndrome, or vasculitis) after "
            "taking Examplol is a contraindication.",
            "Examplol",
            [
                "history of severe skin reactions after taking Examplol",
                "history of AGEP after taking Examplol",
                "history of Stevens-Johnson syndrome after taking Examplol",
                "history of vasculitis after taking Examplol",
            ],
            [],
        ),
        # an allergy to each example of the class; who within a group is no example
        (
            "* **Allergies:** Individuals with known allergies to lincosamides (such as clindamycin or "
            "lincomycin) should not use it.",
            "Examplol",
            [
                "known allergies to lincosamides",
                "known allergies to clindamycin",
                "known allergies to lincomycin",
            ],
            [],
        ),
        # the product named by its own words and a form is the product, not an interactant
        (
            "**Contraindications:** The yellow fever vaccine should not be given to individuals with severe egg "
            "allergy or weakened immune systems (including those with HIV or undergoing chemotherapy).",
            "Yellow Fever Virus (Live, Attenuated)",
            ["severe egg allergy", "weakened immune systems"],
            [],
        ),
        # what would have been is no fact
        (
            "* **Contraindications:** Examplol would have been contraindicated in liver disease.",
            "Examplol",
            [],
            [],
        ),
        (
            "* **Interactions:** Interactions with drugs metabolized by the liver would have been a concern.",
            "Examplol",
            [],
            [],
        ),
        # what happens to the product is no interactant; a clause after a name names its own
        (
            "**Drug Interactions:** Several medications can interfere with levothyroxine absorption or "
            "metabolism, including some antacids and iron supplements.",
            "Levothyroxine",
            [],
            ["some antacids", "iron supplements"],
        ),
        (
            "It may interact with certain medications. For example, corticosteroids can reduce the effectiveness "
            "of aldesleukin, and antifungal agents may interact with progesterone.",
            "Triamcinolone + Nystatin",
            [],
            ["aldesleukin", "progesterone"],
        ),
    ],
)
def test_contraindication_examples_hypotheticals_and_the_product_itself(
    text, title, contraindications, interactions
):
    m = precautions(text, title)
    assert [c.text for c in m.contraindications] == contraindications
    assert [i.interactant for i in m.interactions] == interactions


def test_an_unestablished_safety_is_a_warning_not_an_interaction():
    m = page(
        "Histamine",
        "### Dosage\n**Pediatric Dosage:** Safety and effectiveness of histamine have not been established in children.\n",
    )
    assert m.interactions == [] and [w.topic for w in m.warnings] == ["children"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # both uses a cue states
        (
            "It is used to treat and prevent iron deficiency anemia.",
            ["iron deficiency anemia", "prevention of iron deficiency anemia"],
        ),
        # a drug class and the action that defines it state no use; "helps relieve" does
        ("Clotrimazole is an antifungal agent that combats fungal infections.", []),
        (
            "Cetirizine is an antihistamine that helps relieve symptoms associated with allergies.",
            ["symptoms associated with allergies"],
        ),
        # the examples spell out the group before them
        (
            "It is used to treat fungal infections, such as ringworm and athlete's foot.",
            ["ringworm", "athlete's foot"],
        ),
        # a site pair is one site; the population goes on after "and"
        (
            "It is indicated for advanced or recurrent head and neck cancer.",
            ["advanced head and neck cancer", "recurrent head and neck cancer"],
        ),
        (
            "It is used to treat severe osteoporosis in postmenopausal women and men at high risk of fracture.",
            ["severe osteoporosis in postmenopausal women and men at high risk of fracture"],
        ),
        # what the use is for ends the condition; relief alone and vague circumstances name nothing
        ("It is a contrast agent used in MRI to visualize lesions in the brain.", ["MRI"]),
        ("It is used for symptomatic relief and does not cure the cause.", []),
        ("It is used for the rapid control of heart rate in specific situations.", ["heart rate"]),
        # "spectrum" is no organism in a disease's name
        (
            "It is used to treat neuromyelitis optica spectrum disorder (NMOSD) in adults.",
            ["neuromyelitis optica spectrum disorder (NMOSD) in adults"],
        ),
        # a substance's label is no condition
        ("* **Omega-3 Fatty Acids:** These essential fats are vital for brain health.", []),
    ],
)
def test_uses_classes_sites_and_purposes(text, expected):
    assert usage(text) == expected


def test_a_group_with_two_conditions_stays_one_contraindication():
    m = precautions(
        "**Contraindications:** It is contraindicated in IgA-deficient patients with IgA antibodies and a history "
        "of hypersensitivity to the drug."
    )
    assert [c.text for c in m.contraindications] == [
        "IgA-deficient patients with IgA antibodies and a history of hypersensitivity to Examplol"
    ]
