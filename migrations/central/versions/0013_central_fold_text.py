"""fold_text(): the search key of pos.text.fold in SQL, for the office's accent-insensitive filters

Revision ID: 0013_central_fold_text
Revises: 0012_central_summary_dekad
Create Date: 2026-12-07 01:55:00

"nuoc mam" finds "Nước mắm": the office folds what it is asked with pos.text.fold (lower case, no diacritics,
đ -> d, spaces collapsed) and compares it with fold_text(name). The function is one translate() whose two
strings were generated from pos.text.fold over Latin letters (A-Z, U+00C0-U+024F, U+1E00-U+1EFF) and the
combining marks (U+0300-U+036F, dropped); tests/unit/test_fold_sql.py checks that both agree on every one.
Plain SQL and IMMUTABLE: no extension to install (unaccent needs one, and its rules are not fold's).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0013_central_fold_text"
down_revision: str | None = "0012_central_summary_dekad"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Each letter of FROM becomes the letter of TO at the same place; the letters after TO's end are dropped.
FROM = (
    "ABCDEFGHIJKLMNOPQRSTUVWXYZÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏÐÑÒÓÔÕÖØÙÚÛÜÝÞàáâã"
    "äåçèéêëìíîïñòóôõöùúûüýÿĀāĂăĄąĆćĈĉĊċČčĎďĐđĒēĔĕĖėĘęĚěĜĝĞğĠġĢģĤ"
    "ĥĦĨĩĪīĬĭĮįİĲĴĵĶķĹĺĻļĽľĿŁŃńŅņŇňŊŌōŎŏŐőŒŔŕŖŗŘřŚśŜŝŞşŠšŢţŤťŦŨũŪ"
    "ūŬŭŮůŰűŲųŴŵŶŷŸŹźŻżŽžƁƂƄƆƇƉƊƋƎƏƐƑƓƔƖƗƘƜƝƟƠơƢƤƦƧƩƬƮƯưƱƲƳƵƷƸƼǄǅ"
    "ǇǈǊǋǍǎǏǐǑǒǓǔǕǖǗǘǙǚǛǜǞǟǠǡǢǣǤǦǧǨǩǪǫǬǭǮǯǰǱǲǴǵǶǷǸǹǺǻǼǽǾǿȀȁȂȃȄȅȆȇ"
    "ȈȉȊȋȌȍȎȏȐȑȒȓȔȕȖȗȘșȚțȜȞȟȠȢȤȦȧȨȩȪȫȬȭȮȯȰȱȲȳȺȻȽȾɁɃɄɅɆɈɊɌɎḀḁḂḃḄḅḆ"
    "ḇḈḉḊḋḌḍḎḏḐḑḒḓḔḕḖḗḘḙḚḛḜḝḞḟḠḡḢḣḤḥḦḧḨḩḪḫḬḭḮḯḰḱḲḳḴḵḶḷḸḹḺḻḼḽḾḿṀṁṂ"
    "ṃṄṅṆṇṈṉṊṋṌṍṎṏṐṑṒṓṔṕṖṗṘṙṚṛṜṝṞṟṠṡṢṣṤṥṦṧṨṩṪṫṬṭṮṯṰṱṲṳṴṵṶṷṸṹṺṻṼṽṾ"
    "ṿẀẁẂẃẄẅẆẇẈẉẊẋẌẍẎẏẐẑẒẓẔẕẖẗẘẙẛẞẠạẢảẤấẦầẨẩẪẫẬậẮắẰằẲẳẴẵẶặẸẹẺẻẼẽẾ"
    "ếỀềỂểỄễỆệỈỉỊịỌọỎỏỐốỒồỔổỖỗỘộỚớỜờỞởỠỡỢợỤụỦủỨứỪừỬửỮữỰựỲỳỴỵỶỷỸỹỺ"
    "ỼỾ" + "".join(map(chr, range(0x300, 0x370)))  # the combining marks, dropped
)
TO = (
    "abcdefghijklmnopqrstuvwxyzaaaaaaæceeeeiiiiðnoooooøuuuuyþaaaa"
    "aaceeeeiiiinooooouuuuyyaaaaaaccccccccddddeeeeeeeeeeggggggggh"
    "hħiiiiiiiiiĳjjkkllllllŀłnnnnnnŋooooooœrrrrrrssssssssttttŧuuu"
    "uuuuuuuuuwwyyyzzzzzzɓƃƅɔƈɖɗƌǝəɛƒɠɣɩɨƙɯɲɵooƣƥʀƨʃƭʈuuʊʋƴƶʒƹƽǆǆ"
    "ǉǉǌǌaaiioouuuuuuuuuuaaaaææǥggkkooooʒʒjǳǳggƕƿnnaaææøøaaaaeeee"
    "iiiioooorrrruuuussttȝhhƞȣȥaaeeooooooooyyⱥȼƚⱦɂƀʉʌɇɉɋɍɏaabbbbb"
    "bccddddddddddeeeeeeeeeeffgghhhhhhhhhhiiiikkkkkkllllllllmmmmm"
    "mnnnnnnnnoooooooopppprrrrrrrrssssssssssttttttttuuuuuuuuuuvvv"
    "vwwwwwwwwwwxxxxyyzzzzzzhtwyſßaaaaaaaaaaaaaaaaaaaaaaaaeeeeeee"
    "eeeeeeeeeiiiioooooooooooooooooooooooouuuuuuuuuuuuuuyyyyyyyyỻ"
    "ỽỿ"
)
# What Python's str.split() splits on (fold collapses each run to one space); PostgreSQL's \s knows fewer.
SPACES = "".join(c for c in map(chr, range(0x3001)) if c.isspace())


def upgrade() -> None:
    op.execute(
        "CREATE OR REPLACE FUNCTION fold_text(value text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ "
        "SELECT btrim(regexp_replace(translate(coalesce(value, ''), "
        f"'{FROM}', '{TO}'), '[{SPACES}]+', ' ', 'g')) $$"
    )


def downgrade() -> None:
    op.execute("DROP FUNCTION IF EXISTS fold_text(text)")
