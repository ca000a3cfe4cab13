"""`notifications.sql` reads the booking, its patient and specialist only through the fragment
scheduling exports."""

import inspect
import re

from notifications import sql


def test_notification_statements_name_no_table_of_clinic_or_scheduling():
    # Their tables are `clinic_<model>` and `scheduling_<model>`; `scheduling_sql` is the module
    # of scheduling's fragments.
    assert re.findall(r"\b(?:clinic|scheduling)_(?!sql\b)\w+", inspect.getsource(sql)) == []
