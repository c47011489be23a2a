import random

from pypinyin.constants import PINYIN_DICT

from linli.imports.pinyin import name_keys_fast
from linli.people.names import name_keys


def test_fast_name_keys_equal_the_registrys_on_many_names():
    # given common names, names with phrases and polyphones, odd names, and random strings
    names = [
        "张三",
        "曾小贤",
        "单田芳",
        "长孙无忌",
        "阿依古丽·买买提",
        "Tom张",
        " 李四 ",
        "朴重阳",
        "解晓东",
    ]
    rng = random.Random(11)
    han = [chr(c) for c in range(0x4E00, 0x9FA6) if c in PINYIN_DICT]
    names += ["".join(rng.choice(han) for _ in range(rng.randint(1, 4))) for _ in range(20000)]
    # then the fast keys are exactly the registry's keys
    assert [n for n in names if name_keys_fast(n) != name_keys(n)] == []
