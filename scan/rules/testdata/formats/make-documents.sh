#!/bin/sh
# Makes the PDF test documents of scan/rules (Debian: qpdf, poppler-utils).
set -eu
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# pdf OPENACTION: a one-page PDF whose catalog carries OPENACTION.
pdf() {
	cat <<PDF
%PDF-1.7
1 0 obj << /Type /Catalog /Pages 2 0 R $1 >> endobj
2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj
3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R >> endobj
4 0 obj << /Length 34 >>
stream
BT /F1 12 Tf 20 100 Td (Hi) Tj ET
endstream
endobj
trailer << /Root 1 0 R >>
%%EOF
PDF
}
pdf "" > "$tmp/clean.pdf"
qpdf --no-warn --deterministic-id "$tmp/clean.pdf" clean.pdf || test $? = 3
pdf "/OpenAction << /S /JavaScript /JS (app.alert\\(1\\)) >>" > "$tmp/js.pdf"
# JavaScript in a compressed object stream only.
qpdf --no-warn --deterministic-id --object-streams=generate "$tmp/js.pdf" js-objstm.pdf || test $? = 3
pdf "/OpenAction << /S /Launch /F (cmd.exe) >>" > "$tmp/launch.pdf"
qpdf --no-warn --deterministic-id "$tmp/launch.pdf" launch.pdf || test $? = 3
# An attached executable (a PE header and nothing else).
printf 'MZ\220\0\3\0\0\0\4\0\0\0\377\377\0\0' > "$tmp/invoice.exe"
rm -f attach.pdf
pdfattach clean.pdf "$tmp/invoice.exe" attach.pdf 2>/dev/null

# ISO 9660 images (genisoimage): an executable with a harmless-looking
# Joliet name, and a clean one.
mkdir -p "$tmp/iso/docs"
cp "$tmp/invoice.exe" "$tmp/iso/docs/Invoice 2026.pdf.exe"
echo "hello" > "$tmp/iso/readme.txt"
genisoimage -quiet -J -r -o exe.iso "$tmp/iso"
rm -r "$tmp/iso/docs"
genisoimage -quiet -J -r -o clean.iso "$tmp/iso"

# A FAT12 floppy image (dosfstools, mtools) with a script under a long
# name and a PE under a short one.
rm -f exe.img
mkfs.fat -C -n MAILTOWER exe.img 720 >/dev/null
echo 'WScript.Echo "hi"' > "$tmp/Payment advice.pdf.vbs"
MTOOLS_SKIP_CHECK=1 mmd -i exe.img ::/docs
MTOOLS_SKIP_CHECK=1 mcopy -i exe.img "$tmp/Payment advice.pdf.vbs" ::/docs/
MTOOLS_SKIP_CHECK=1 mcopy -i exe.img "$tmp/invoice.exe" ::/INVOICE.PDF

# The images are mostly zeros: they are kept compressed.
gzip -9nf exe.iso clean.iso exe.img
