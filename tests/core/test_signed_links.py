"""`core.signed_links`: the tokens of links already sent keep opening what they opened."""

from core.signed_links import link_token, token_hash

# A token computed once, for this key and nonce, by the code that wrote the links already sent.
SECRET_KEY = "pinned-secret-key-for-signed-links"
NONCE = "0123456789abcdef0123456789abcdef"
TOKEN = "ceO5OGkPrreFMxTwSuteBQ"


def test_a_token_is_the_one_links_already_sent_carry(settings):
    settings.SECRET_KEY = SECRET_KEY

    assert link_token(NONCE, "patient") == TOKEN


def test_a_tokens_hash_is_the_one_rows_already_keep():
    assert token_hash(TOKEN) == "a12d5ea27cd5ad15f913e21bae0350a4b125ff40d56b4209339dd488e39a39cd"


def test_each_purpose_gets_its_own_token(settings):
    settings.SECRET_KEY = SECRET_KEY

    assert link_token(NONCE, "offer") != link_token(NONCE, "patient")
