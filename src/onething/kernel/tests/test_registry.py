import pytest

from onething.kernel.registry import Registry


def test_registers_one_instance_per_key_with_its_label_and_refuses_unknown_keys():
    plugins = Registry(lambda key: LookupError(f"未登记：{key}"))

    @plugins.register("b", "乙")
    class B:
        pass

    @plugins.register("a", "甲")
    class A:
        pass

    assert isinstance(plugins.get("a"), A) and plugins.get("a").label == "甲" and plugins.get("b").key == "b"
    assert plugins.choices() == [("a", "甲"), ("b", "乙")]
    assert len(plugins.values()) == 2
    with pytest.raises(LookupError, match="未登记：c"):
        plugins.get("c")
