"""`manage.py djcache invalidate` as a shell user meets it: a bad target is one line on stderr and
exit status 1, never a traceback; good targets are invalidated."""
import pytest
from django.core.management import call_command

from djcache import tagged
from djcache.management.commands.djcache import Command
from tests.testapp.models import Category


def run_manage(*argv):
    """What `manage.py djcache ...` prints on stderr and its exit status."""
    with pytest.raises(SystemExit) as exit_info:
        Command().run_from_argv(["manage.py", "djcache", *argv])
    return exit_info.value.code


@pytest.mark.parametrize("argv, says", [
    (["invalidate", "testapp.Categry"], "Did you mean 'testapp.Category'"),
    (["invalidate", "nosuchapp"], "no model label, app label or table has this name"),
    (["invalidate", "table:"], "table: needs a table name"),
    (["invalidate", "testapp.Category", "--database", "nosuchdb"],
     "'nosuchdb' is not in settings.DATABASES"),
    (["invalidate"], "give at least one app.Model label"),
])
def test_a_bad_target_is_one_line_and_exit_1(db, capsys, argv, says):
    assert run_manage(*argv) == 1
    err = capsys.readouterr().err
    assert err.startswith("CommandError: ") and err.count("\n") == 1, err
    assert says in err


@pytest.mark.parametrize("targets",
                         [["testapp.Category"], ["testapp"], ["testapp_category"], ["*"]])
def test_good_targets_are_invalidated(db, capsys, targets):
    entries = tagged(Category)
    entries.get_or_set("sidebar:1", lambda: 1)
    call_command("djcache", "invalidate", *targets, database="default")
    assert capsys.readouterr().out == f"invalidated {', '.join(targets)}\n"
    assert entries.get("sidebar:1") is None
