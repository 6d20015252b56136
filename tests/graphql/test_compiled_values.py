"""Which columns the compiled reads write between quotes rather than through to_json."""

import enum

from sqlalchemy import Column, MetaData, String, Table, Text, cast

from bookwell.graphql.engine.compiler.sql import json_value, verbatim
from bookwell.models import Listing, Reservation
from bookwell.models.base import text_enum


class _Quoted(enum.Enum):
    PLAIN = "PLAIN"
    QUOTED = 'SAY "HI"'


_TABLE = Table("t", MetaData(), Column("quoted", text_enum(_Quoted, "quoted")))


def test_enum_labels_numbers_and_uuids_as_text_are_verbatim():
    assert verbatim(Reservation.status)
    assert verbatim(cast(Listing.nightly_price, Text))
    assert verbatim(cast(Listing.id, Text))


def test_free_text_and_a_label_json_escapes_are_not():
    assert not verbatim(Listing.title)
    assert not verbatim(cast(Listing.title, String))
    assert not verbatim(_TABLE.c.quoted)


def test_a_verbatim_value_is_quoted_and_null_stays_null():
    assert (
        json_value("x.status", verbatim=True).text == """coalesce('"' || x.status || '"', 'null')"""
    )
    assert json_value("x.title").text == "coalesce(to_json(x.title)::text, 'null')"
