"""`scheduling.sql` reads clinic only through the fragments clinic exports."""

import inspect
import re

from scheduling import sql


def test_scheduling_statements_name_no_table_of_clinic():
    # clinic's tables are `clinic_<model>`; `clinic_sql` is the module of its fragments.
    assert re.findall(r"\bclinic_(?!sql\b)\w+", inspect.getsource(sql)) == []
