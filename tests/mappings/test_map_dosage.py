"""DosageRegimen → Dosage and Population → patientCharacteristic, incl. the invariant edge cases."""

from __future__ import annotations

from mappings.dosage import dosage, patient_characteristics
from mappings.model import Amount, DosageRegimen, Frequency, Population

ADULT = Population(kind="adult", text="Adults")


def regimen(**kw) -> DosageRegimen:
    return DosageRegimen(
        source=kw.pop("source", "the sentence"), population=kw.pop("population", ADULT), **kw
    )


def test_daily_totals_are_rates_never_doses():
    d = dosage(regimen(dose_low=150, dose_high=450, dose_unit="mg", per_day_total=True))
    (dr,) = d["doseAndRate"]
    assert "doseRange" not in dr and "doseQuantity" not in dr
    assert (dr["rateRange"]["low"]["code"], dr["rateRange"]["high"]["code"]) == ("mg/d", "mg/d")
    d = dosage(regimen(dose_low=5, dose_high=5, dose_unit="mg/kg", per_day_total=True))
    assert d["doseAndRate"] == [
        {
            "rateQuantity": {
                "value": 5,
                "unit": "mg/kg/d",
                "system": "http://unitsofmeasure.org",
                "code": "mg/kg/d",
            }
        }
    ]


def test_ranges_keep_both_bounds_and_no_code_for_them():
    every = Frequency("every 8-12 hours", None, 1, 8, "h", period_max=12)
    d = dosage(regimen(dose_low=500, dose_high=500, dose_unit="mg", frequency=every))
    assert d["timing"] == {
        "repeat": {"frequency": 1, "period": 8, "periodMax": 12, "periodUnit": "h"},
        "code": {"text": "every 8-12 hours"},
    }
    times = Frequency("three or four times daily", None, 3, 1, "d", frequency_max=4)
    d = dosage(regimen(dose_low=1, dose_high=1, dose_unit="g", frequency=times))
    assert d["timing"]["repeat"] == {"frequency": 3, "frequencyMax": 4, "period": 1, "periodUnit": "d"}
    assert "coding" not in d["timing"]["code"]


def test_reversed_range_is_ordered_and_text_is_kept():
    d = dosage(regimen(source="4-2 mg", dose_low=4, dose_high=2, dose_unit="mg"))
    rng = d["doseAndRate"][0]["doseRange"]
    assert rng["low"]["value"] == 2 and rng["high"]["value"] == 4  # rng-2
    assert d["text"] == "4-2 mg"


def test_timing_never_has_a_period_without_unit():
    freq = Frequency(text="every so often", frequency=2, period=3, period_unit="fortnight")
    d = dosage(regimen(dose_low=1, dose_high=1, dose_unit="mg", frequency=freq))
    assert d["timing"]["repeat"] == {"frequency": 2}  # tim-2: no period without a valid unit
    assert d["timing"]["code"] == {"text": "every so often"}


def test_as_needed_max_per_day_duration_and_instructions():
    freq = Frequency(text="as needed", as_needed=True)
    d = dosage(
        regimen(
            dose_low=500,
            dose_high=500,
            dose_unit="mg",
            frequency=freq,
            route="oral",
            max_daily_dose=Amount(4, "g/day"),
            duration="for 5 days",
            duration_value=5,
            duration_unit="d",
            instructions="with food",
        )
    )
    assert d["asNeeded"] is True
    assert d["maxDosePerPeriod"] == [
        {
            "numerator": {"value": 4, "unit": "g", "system": "http://unitsofmeasure.org", "code": "g"},
            "denominator": {"value": 1, "unit": "days", "system": "http://unitsofmeasure.org", "code": "d"},
        }
    ]
    assert d["timing"]["repeat"]["boundsDuration"]["code"] == "d"
    assert d["additionalInstruction"] == [{"text": "with food"}]
    d = dosage(regimen(duration="until symptoms resolve"))
    assert d["additionalInstruction"] == [{"text": "until symptoms resolve"}]


def test_age_and_weight_bands():
    [age] = patient_characteristics(
        Population(kind="child", text="Children 6-14 years", age_low=6, age_high=14)
    )
    assert age["type"]["coding"][0]["code"] == "424144002"
    assert age["valueRange"]["low"]["code"] == "a" and age["valueRange"]["high"]["value"] == 14
    [under] = patient_characteristics(
        Population(kind="child", text="Children under 6", age_low=0, age_high=6)
    )
    assert "low" not in under["valueRange"]  # no zero age
    [adult] = patient_characteristics(ADULT)  # "adults" states no age: none is invented
    assert adult == {"type": {"text": "Population"}, "valueCodeableConcept": {"text": ADULT.text}}
    [weight] = patient_characteristics(Population(kind="weight", text="Over 40 kg", weight_low=40))
    assert weight["valueRange"]["low"]["code"] == "kg"
    assert patient_characteristics(Population(kind="elderly", text="Elderly")) == [
        {"type": {"text": "Population"}, "valueCodeableConcept": {"text": "Elderly"}}
    ]
    assert patient_characteristics(Population(kind="any", text="")) == []
    [infant] = patient_characteristics(
        Population(kind="child", text="Infants 1-6 months", age_low=1, age_high=6, age_unit="mo")
    )
    assert infant["valueRange"]["high"]["code"] == "mo"
