"""`eventapp contacts import FILE [--org SLUG]`: the same import, its per-row report printed; exit 0 when the file
was read (even with bad rows), 2 when it cannot be."""
import sqlalchemy as sa

from eventapp.accounts.operations import ensure_organisation
from eventapp.contacts.models import ConsentRecord, Contact


def test_the_cli_imports_a_file_and_prints_each_row_and_the_totals(app, db, org, tmp_path):
    path = tmp_path / "客户名单.csv"
    path.write_bytes("姓名,邮箱,公司,同意\n王芳,wang@example.cn,华为,是\n坏人,bad@,X,是\n王芳二,WANG@example.cn,Y,是\n"
                     .encode("gb18030"))
    result = app.test_cli_runner().invoke(args=["contacts", "import", str(path), "--org", "acme",
                                                "--consent-basis", "Signed up at our seminar"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "姓名 → Full name" in lines[0] and "同意 → Marketing consent" in lines[0]
    assert lines[1] == "row 2:  imported  wang@example.cn"
    assert lines[2].startswith("row 3:  skipped  Bad email address “bad@”")
    assert lines[3] == "row 4:  skipped  Row 4 repeats the address of row 2."
    assert lines[4].startswith("3 rows: 1 imported, 0 updated, 2 skipped")
    wang = db.session.scalars(sa.select(Contact)).one()
    assert (wang.last_name, wang.first_name, wang.origin) == ("王", "芳", "import:客户名单.csv")
    assert db.session.scalars(sa.select(ConsentRecord.source)).all() == ["import:客户名单.csv"]


def test_without_a_consent_basis_the_consent_column_is_ignored(app, db, org, tmp_path):
    path = tmp_path / "list.csv"
    path.write_text("Email,Opt-in\nada@example.com,yes\n")
    result = app.test_cli_runner().invoke(args=["contacts", "import", str(path)])  # the only organisation
    assert result.exit_code == 0, result.output
    assert "consent column is ignored" in result.output and "1 imported" in result.output
    assert db.session.scalars(sa.select(Contact.marketing_consent)).all() == [False]


def test_a_file_that_cannot_be_read_exits_2(app, db, org, tmp_path):
    runner = app.test_cli_runner()
    missing = runner.invoke(args=["contacts", "import", str(tmp_path / "nothing.csv"), "--org", "acme"])
    assert missing.exit_code == 2 and "No such file" in missing.output
    picture = tmp_path / "list.csv"
    picture.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(200))
    png = runner.invoke(args=["contacts", "import", str(picture), "--org", "acme"])
    assert png.exit_code == 2 and "This is a PNG file" in png.output
    no_email = tmp_path / "names.csv"
    no_email.write_text("Name,Company\nAda,Analytical\n")
    refused = runner.invoke(args=["contacts", "import", str(no_email), "--org", "acme"])
    assert refused.exit_code == 2 and "Map one column to Email" in refused.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Contact)) == 0


def test_the_organisation_must_be_named_when_there_are_several(app, db, org, tmp_path):
    ensure_organisation("rival", "Rival")
    db.session.commit()
    path = tmp_path / "list.csv"
    path.write_text("Email\nada@example.com\n")
    result = app.test_cli_runner().invoke(args=["contacts", "import", str(path)])
    assert result.exit_code == 2 and "acme, rival" in result.output
    unknown = app.test_cli_runner().invoke(args=["contacts", "import", str(path), "--org", "nobody"])
    assert unknown.exit_code == 2 and "no organisation with the slug 'nobody'" in unknown.output
