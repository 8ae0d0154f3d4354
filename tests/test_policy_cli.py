"""``bastion policy add|list|disable|test`` (SPEC G5) on SQLite and PostgreSQL, and the
sample policy file that the docs show."""

from __future__ import annotations

import json
import pathlib

import yaml

from bastion.runtime import cli

EXAMPLE = pathlib.Path(__file__).resolve().parent.parent / "examples/policies/payments.yaml"


def test_the_example_policy_file_passes(capsys) -> None:  # type: ignore[no-untyped-def]
    assert cli.main(["policy", "test", str(EXAMPLE)]) == 0
    out = capsys.readouterr().out
    assert out.strip().endswith("9 passed, 0 failed")


def test_a_mismatch_is_printed_and_exits_1(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    doc = yaml.safe_load(EXAMPLE.read_text())
    doc["tests"][1]["expect"] = "ALLOW"                         # really DENY
    doc["tests"][2]["expect_policies"] = ["refunds-over-1000"]  # really the review one
    path = tmp_path / "cases.json"
    path.write_text(json.dumps(doc))
    assert cli.main(["policy", "test", str(path)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0] == ("FAIL a large refund is denied: expected ALLOW, got DENY "
                      "(matched ['refunds-over-1000'])")
    assert out[1].startswith("FAIL a refund to a new account is reviewed: expected policies "
                             "['refunds-over-1000'], matched ['refunds-to-new-accounts']")
    assert out[-1] == "7 passed, 2 failed"


def test_a_bad_test_file_is_refused(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "bad.yaml"
    path.write_text("policies:\n  - {id: p, effect: deny, expression: 'nope == 1'}\n"
                    "tests:\n  - {request: {action: a}, expect: DENY}\n")
    assert cli.main(["policy", "test", str(path)]) == 1
    assert "policies[0].expression: line 1, column 1: undeclared reference to 'nope'" \
        in capsys.readouterr().err
    path.write_text("tests:\n  - {request: {action: a}, expect: MAYBE}\n"
                    "policies: [{id: p, effect: deny, expression: 'true'}]\n")
    assert cli.main(["policy", "test", str(path)]) == 1
    assert "tests[0].expect: must be ALLOW, REVIEW, DEFER or DENY" in capsys.readouterr().err


def test_add_list_disable_and_test_stored_policies(database_url, monkeypatch, capsys,
                                                   tmp_path) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("BASTION_DATABASE_URL", database_url)
    assert cli.main(["migrate"]) == 0
    assert cli.main(["tenant", "create", "acme"]) == 0
    capsys.readouterr()
    assert cli.main(["policy", "add", "--tenant", "acme", "--id", "big-refunds",
                     "--effect", "deny", "--expression",
                     'action == "payments.refund" && attributes.amount > 1000']) == 0
    added = json.loads(capsys.readouterr().out)
    assert (added["id"], added["revision"], added["enabled"], added["updated_by"]) == (
        "big-refunds", 1, True, "cli")
    assert cli.main(["policy", "add", "--tenant", "acme", "--id", "bad", "--effect", "deny",
                     "--expression", "action =="]) == 1
    assert "expression: line 1, column 10" in capsys.readouterr().err
    assert cli.main(["policy", "add", "--tenant", "acme", "--global", "--id", "g",
                     "--effect", "deny", "--expression", "true"]) == 1
    assert "global_policy_tenants" in capsys.readouterr().err
    cases = tmp_path / "cases.yaml"
    cases.write_text("tests:\n  - name: big\n    request: {action: payments.refund, "
                     "attributes: {amount: 5000}}\n    expect: DENY\n")
    assert cli.main(["policy", "test", str(cases), "--tenant", "acme"]) == 0
    assert capsys.readouterr().out.strip() == "1 passed, 0 failed"
    assert cli.main(["policy", "disable", "--tenant", "acme", "--id", "big-refunds"]) == 0
    assert json.loads(capsys.readouterr().out)["enabled"] is False
    assert cli.main(["policy", "test", str(cases), "--tenant", "acme"]) == 1
    assert "FAIL big: expected DENY, got ALLOW" in capsys.readouterr().out
    assert cli.main(["policy", "disable", "--tenant", "acme", "--id", "nope"]) == 1
    assert "policy nope not found" in capsys.readouterr().err
    assert cli.main(["policy", "list", "--tenant", "acme"]) == 0
    assert json.loads(capsys.readouterr().out) == []
    assert cli.main(["policy", "list", "--tenant", "acme", "--all"]) == 0
    assert [p["id"] for p in json.loads(capsys.readouterr().out)] == ["big-refunds"]
    assert cli.main(["ledger", "verify", "--tenant", "acme"]) == 0
