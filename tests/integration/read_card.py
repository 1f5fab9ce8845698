#!/usr/bin/python3
"""read_card.py - an independent PC/SC client (pyscard) that reads a social security card
back: the ATR, the SSSE EF05/EF06 records and, optionally, an application's records.

It shares no code with cardpipe: SELECT by AID and file id, READ RECORD, plain ISO 7816-4,
as any bank branch tool would. Point it at a line's pcscd with PCSCLITE_CSOCK_NAME.

usage: read_card.py [--reader PREFIX] [--app AID:SFI:REC]... [--get-data AID:TAG]...
Prints one line per item: "ATR <hex>", "EF05 <rec> <hex>", "EF06 <rec> <hex>",
"APP <aid> <sfi> <rec> <hex>", "DATA <aid> <tag> <hex>"; an item not there prints
"... SW <sw>".
Exit 0 when the card was read, 1 on a PC/SC error, 2 on usage.
"""
import sys

from smartcard.System import readers
from smartcard.Exceptions import CardConnectionException, NoCardException

SSSE_AID = bytes.fromhex("7378312E73682EC9E7BBE1B1A3D5CF")


def transmit(conn, apdu):
    data, sw1, sw2 = conn.transmit(list(apdu))
    if sw1 == 0x6C:  # wrong Le: resend with the length the card gives
        data, sw1, sw2 = conn.transmit(list(apdu[:4]) + [sw2])
    if sw1 == 0x61:
        data, sw1, sw2 = conn.transmit([0x00, 0xC0, 0x00, 0x00, sw2])
    return bytes(data), (sw1 << 8) | sw2


def select_aid(conn, aid):
    return transmit(conn, bytes([0x00, 0xA4, 0x04, 0x00, len(aid)]) + aid + b"\x00")[1]


def main(argv):
    prefix, apps, gets = "Virtual PCD", [], []
    args = list(argv)
    while args:
        a = args.pop(0)
        if a == "--reader" and args:
            prefix = args.pop(0)
        elif a == "--app" and args:
            aid, sfi, rec = args.pop(0).split(":")
            apps.append((bytes.fromhex(aid), int(sfi), int(rec)))
        elif a == "--get-data" and args:
            aid, tag = args.pop(0).split(":")
            gets.append((bytes.fromhex(aid), int(tag, 16)))
        elif a in ("-h", "--help"):
            print(__doc__)
            return 0
        else:
            print("usage: read_card.py [--reader PREFIX] [--app AID:SFI:REC]... "
                  "[--get-data AID:TAG]...", file=sys.stderr)
            return 2
    matching = [r for r in readers() if str(r).startswith(prefix)]
    if not matching:
        print("no reader named %s..." % prefix, file=sys.stderr)
        return 1
    conn = matching[0].createConnection()
    try:
        conn.connect()
    except (NoCardException, CardConnectionException) as e:
        print("cannot connect: %s" % e, file=sys.stderr)
        return 1
    print("ATR " + bytes(conn.getATR()).hex().upper())
    sw = select_aid(conn, SSSE_AID)
    if sw != 0x9000:
        print("SELECT SSSE: SW %04X" % sw, file=sys.stderr)
        return 1
    # EF05 by file id (current EF), EF06 by its short file identifier 6.
    _, sw = transmit(conn, bytes.fromhex("00A4000002EF05"))
    if sw != 0x9000:
        print("SELECT EF05: SW %04X" % sw, file=sys.stderr)
        return 1
    for rec in range(1, 8):
        data, sw = transmit(conn, bytes([0x00, 0xB2, rec, 0x04, 0x00]))
        print("EF05 %d %s" % (rec, data.hex().upper() if sw == 0x9000 else "SW %04X" % sw))
    for rec in range(1, 8):
        data, sw = transmit(conn, bytes([0x00, 0xB2, rec, (6 << 3) | 4, 0x00]))
        print("EF06 %d %s" % (rec, data.hex().upper() if sw == 0x9000 else "SW %04X" % sw))
    for aid, sfi, rec in apps:
        sw = select_aid(conn, aid)
        if sw != 0x9000:
            print("APP %s %d %d SW %04X" % (aid.hex().upper(), sfi, rec, sw))
            continue
        data, sw = transmit(conn, bytes([0x00, 0xB2, rec, (sfi << 3) | 4, 0x00]))
        print("APP %s %d %d %s" % (aid.hex().upper(), sfi, rec,
                                   data.hex().upper() if sw == 0x9000 else "SW %04X" % sw))
    for aid, tag in gets:
        sw = select_aid(conn, aid)
        if sw == 0x9000:
            data, sw = transmit(conn, bytes([0x80, 0xCA, tag >> 8, tag & 0xFF, 0x00]))
        print("DATA %s %04X %s" % (aid.hex().upper(), tag,
                                   data.hex().upper() if sw == 0x9000 else "SW %04X" % sw))
    conn.disconnect()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
