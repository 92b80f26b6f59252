from onething.kernel import codes


def test_example_codes_from_the_domain_facts_are_valid():
    assert codes.validate_id_number("11010519491231002X") is None
    for uscc in ["91350100M000100Y43", "11100000000013338W", "11430000006122244L", "91110000802100433B"]:
        assert codes.validate_uscc(uscc) is None
