#!/usr/bin/python3
"""Writes the seed corpora of fuzz/corpus/ingest and fuzz/corpus/xlsx from
the fixtures (run from the source root with Debian's python3, which has
openpyxl). The id and name seeds are the fixtures' ID and name cells.

ingest seeds are an options byte (see fuzz_ingest.c) then a file: the
fixtures, and the cases of issue 10 (lone CR, UTF-16LE, a title row, a stray
quote in a row and in the header, a workbook). xlsx seeds are small
workbooks by openpyxl, the same with their parts stored (not deflated) so
that mutations reach the XML, and a hand-written one with inline strings,
rich text, a phonetic run, a formula string, a boolean, an error, a date
and rows left out."""
import io
import os
import zipfile

import openpyxl

HDR = ['身份证号', '姓名', '学校代码', '学籍状态', '学校名称', '助学金', '免学费']
ROWS = [['370102200803151231', '张伟', '4137010001', '在籍', '济南第一职业中等专业学校', 1000, 1200],
        [370102200803151231, '李娜', 'S2', '休学', None, None, '2,000.00'],
        ['370105200811020281', '王𠮷', 'S1', '在籍', '青岛技师学院\n西海岸校区', 0, 0]]
NS = 'http://schemas.openxmlformats.org'
SHEET = ('<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="%s/spreadsheetml/2006/main">'
         '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>身份证号</t></is></c>'
         '<c t="inlineStr"><is><r><t>姓</t></r><r><t>名</t></r><rPh><t>x</t></rPh></is></c>'
         '<c t="s"><v>0</v></c><c t="s"><v>1</v></c></row><row r="3">'
         '<c r="A3"><v>1.10101199001011E+17</v></c><c r="B3" t="str"><f>X</f><v>张三</v></c>'
         '<c r="C3" t="b"><v>1</v></c><c r="D3" t="e"><v>#N/A</v></c>'
         '<c r="E3" t="d"><v>2024-09-01</v></c></row><row r="4"/></sheetData></worksheet>' % NS)
STRINGS = ('<?xml version="1.0" encoding="UTF-8"?><sst xmlns="%s/spreadsheetml/2006/main">'
           '<si><t>学校代码</t></si><si><r><t>学籍</t></r><r><t>状态</t></r></si></sst>' % NS)
WORKBOOK = ('<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="%s/spreadsheetml/2006/main" '
            'xmlns:r="%s/officeDocument/2006/relationships"><sheets>'
            '<sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>' % (NS, NS))
RELS = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="%s/package/2006/relationships">'
        '<Relationship Id="rId1" Type="%s/officeDocument/2006/relationships/worksheet" '
        'Target="worksheets/sheet1.xml"/><Relationship Id="rId2" '
        'Type="%s/officeDocument/2006/relationships/sharedStrings" Target="/xl/sharedStrings.xml"/>'
        '</Relationships>' % (NS, NS, NS))


def workbook(rows, title=None):
    wb = openpyxl.Workbook()
    ws = wb.active
    if title:
        ws.append(title)
    for r in rows:
        ws.append(r)
    b = io.BytesIO()
    wb.save(b)
    return b.getvalue()


def stored(data):
    zin = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, 'w', zipfile.ZIP_STORED) as z:
        for n in zin.namelist():
            if n.startswith('docProps') or n.endswith('styles.xml') or 'theme' in n:
                continue
            z.writestr(n, zin.read(n))
    return out.getvalue()


def main():
    os.makedirs('fuzz/corpus/xlsx', exist_ok=True)
    os.makedirs('fuzz/corpus/ingest', exist_ok=True)
    seeds = {'roster': workbook([HDR] + ROWS),
             'title': workbook([HDR] + ROWS, ['全国中等职业学校学生信息表'])}
    b = io.BytesIO()
    with zipfile.ZipFile(b, 'w', zipfile.ZIP_STORED) as z:
        z.writestr('xl/workbook.xml', WORKBOOK)
        z.writestr('xl/_rels/workbook.xml.rels', RELS)
        z.writestr('xl/worksheets/sheet1.xml', SHEET)
        z.writestr('xl/sharedStrings.xml', STRINGS)
    for k in list(seeds):
        seeds[k + '_stored'] = stored(seeds[k])
    seeds['inline'] = b.getvalue()
    for k, v in seeds.items():
        with open('fuzz/corpus/xlsx/%s.xlsx' % k, 'wb') as f:
            f.write(v)

    def put(name, opt, data):
        with open('fuzz/corpus/ingest/' + name, 'wb') as f:
            f.write(bytes([opt]) + data)

    def read(path):
        with open(path, 'rb') as f:
            return f.read()

    fixtures = ['fixtures/run/basic/moe.csv', 'fixtures/run/basic/mohrss.csv',
                'fixtures/ingest/gb18030.csv', 'fixtures/ingest/bom.csv',
                'fixtures/ingest/tab.tsv', 'fixtures/ingest/english.csv']
    for i, f in enumerate(fixtures):
        put(os.path.basename(f), (i * 4) & 0x1c, read(f))
    put('mapped.csv', 0x40, read('fixtures/ingest/mapped.csv'))
    plain = read('fixtures/ingest/bom.csv')[3:].replace(b'\r\n', b'\n')
    lines = plain.split(b'\n')
    put('cr.csv', 0x08, plain.replace(b'\n', b'\r'))
    put('utf16.tsv', 0x04, b'\xff\xfe' + read('fixtures/ingest/tab.tsv').decode().encode('utf-16-le'))
    put('title.csv', 0x0c, '全国中等职业学校学生信息表,,,,\n'.encode() + plain)
    put('stray.csv', 0x10, b'\n'.join(lines[:2] + [lines[2].replace(b',', b',"', 1)] + lines[3:]))
    put('hdrquote.csv', 0x00, b'\n'.join([lines[0] + ',"备注'.encode()] + lines[1:]))
    put('roster.xlsx', 0x00, seeds['roster_stored'])


main()
