"""The import's fast paths give exactly what the ordinary ones give: Fernet tokens that
`pii.decrypt` reads, HMACs equal to `hmac`'s, CSV rows equal to `core.tabular`'s."""

import hashlib
import hmac

import pytest
from cryptography.fernet import Fernet

from linli.core import tabular
from linli.core.pii import decrypt, encrypt
from linli.imports import services, specs
from linli.imports.crypto import BatchCipher, HmacSha256

VALUES = [
    "",
    "a",
    "1" * 15,
    "2" * 16,
    "3" * 17,
    "340223199001011234",
    "13812345678",
    "0553-6812345",
    "张三丰" * 7,
]


def test_batch_tokens_are_fernet_tokens_of_the_newest_key(settings):
    # given two keys, the newest first (rotation: old tokens still decrypt)
    settings.PII_KEYS = [Fernet.generate_key().decode(), "an older secret"]
    values = VALUES + [f"3402231990{i:08d}" for i in range(300)]
    # when a batch is encrypted
    tokens = BatchCipher().encrypt_many(values)
    # then every token decrypts to its value with pii, and only with the newest key
    assert [decrypt(token) for token in tokens] == values
    assert tokens[0] == "" and all(tokens[1:])
    newest = Fernet(settings.PII_KEYS[0].encode())
    assert newest.decrypt(tokens[5].encode()).decode() == values[5]
    # each with its own IV, the length `encrypt` gives
    assert len(set(tokens[1:])) == len(values) - 1
    assert [len(t) for t in tokens[1:]] == [len(encrypt(v)) for v in values[1:]]


@pytest.mark.parametrize("key", [b"", b"k", b"dev-only-blind-index-key", b"x" * 64, b"y" * 100])
def test_hmac_is_hmac_sha256(key):
    mac = HmacSha256(key)
    for message in (b"", b"340223199001011234", "张三".encode() * 50):
        assert mac.digest(message) == hmac.digest(key, message, hashlib.sha256)


@pytest.mark.parametrize(
    "text",
    [
        "姓名,身份证号,,所在区划代码\n张三, 340223199001011234 ,x,\n\n , ,\n李四\n王五,1,2,3,4\n",
        '\ufeff姓名,身份证号,所在区划代码\n\ufeff张三,\'=1+2,\ufeff\n"多\n行",2,3\n',
        "姓名,身份证号,所在区划代码\n'张,'-3,''\n,,\n,,x\n",
    ],
)
def test_csv_rows_are_the_tables_rows(text):
    # given CSV files with blanks, short and long rows, BOMs and neutralised formulas
    spec = specs.SPECS["residents"]
    data = text.encode()
    headers, rows = tabular.iter_table(data, filename="a.csv")
    present = services._present_columns(spec, headers)
    expected = [(row.number, {key: row[header] for header, key in present}) for row in rows]
    # when the import reads them, then it reads what core.tabular reads
    assert list(services._rows(spec, data, "a.csv")) == expected
    assert expected


def test_the_id_check_reads_other_digits_as_before():
    # given an ID number written in full-width digits (a `\d` to the pattern)
    ascii_number = "34022319900101123" + "0123456789X"[0]
    wide = "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in ascii_number[:17])
    for body in (ascii_number[:17], wide):
        for check in "0123456789X":
            number = body + check
            # then it is checked as int() reads its digits, the ASCII one included
            total = sum(int(c) * w for c, w in zip(number[:17], specs.ID_WEIGHTS, strict=True))
            valid = specs.ID_CHECK_CHARS[total % 11] == check
            assert (specs.id_number_birth(number) is not None) == valid
