"""The instance-storage table: which types get no volume key."""

import pytest

from secure_sagemaker.instance_storage import INSTANCE_STORAGE_FAMILIES, has_instance_storage, instance_family


@pytest.mark.parametrize(
    "instance_type",
    [
        "ml.g5.xlarge",
        "ml.g6.12xlarge",
        "ml.g4dn.xlarge",
        "ml.p4d.24xlarge",
        "ml.p5.48xlarge",
        "ml.p5en.48xlarge",
        "ml.m5d.large",
        "ml.c5d.xlarge",
        "ml.r5d.2xlarge",
        "ml.p6-b200.48xlarge",
        "ml.trn1.32xlarge",
    ],
)
def test_types_with_local_nvme_storage(instance_type):
    assert has_instance_storage(instance_type)


@pytest.mark.parametrize(
    "instance_type",
    [
        "ml.m5.large",
        "ml.c5.xlarge",
        "ml.p3.2xlarge",
        "ml.inf2.xlarge",
        "ml.t3.medium",
        "ml.g4dn",
        "g5.xlarge",
        "",
        None,
        5,
        {"Ref": "InstanceType"},
    ],
)
def test_ebs_types_and_anything_unreadable_need_a_volume_key(instance_type):
    assert not has_instance_storage(instance_type)


def test_family_is_the_part_between_ml_and_the_size():
    assert instance_family("ml.p6-b200.48xlarge") == "p6-b200"
    assert instance_family("ml.m5.large") == "m5"
    assert instance_family("m5.large") is None


def test_a_user_table_replaces_the_default():
    assert has_instance_storage("ml.m5.large", families={"m5"})
    assert not has_instance_storage("ml.g5.xlarge", families={"m5"})
    assert "g5" in INSTANCE_STORAGE_FAMILIES
