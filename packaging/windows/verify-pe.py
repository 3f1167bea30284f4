#!/usr/bin/env python3
"""Verify a Windows .exe built by packaging/build-windows.sh (stdlib only).

Parses the PE headers and the resource tree itself (no pefile needed) and
checks: PE32+, x86-64, GUI subsystem; a .rsrc section; an icon group named
GLFW_ICON with the expected sizes, every member RT_ICON present; RT_MANIFEST
ID 1 byte-identical to packaging/windows/qiao.manifest; VERSIONINFO with the
expected fixed file/product version and the expected StringFileInfo strings
(decoded from UTF-16). Exits non-zero, listing every failure, if any check fails.

usage: verify-pe.py EXE --manifest FILE --fixed-version A.B.C.D
                    [--icon-sizes 16,24,...] [--expect Key=Value ...]
"""
import argparse
import struct
import sys

RT_ICON, RT_GROUP_ICON, RT_VERSION, RT_MANIFEST = 3, 14, 16, 24
RT_NAMES = {RT_ICON: "RT_ICON", RT_GROUP_ICON: "RT_GROUP_ICON",
            RT_VERSION: "RT_VERSION", RT_MANIFEST: "RT_MANIFEST"}


class PE:
    def __init__(self, data):
        self.d = data
        if data[:2] != b"MZ":
            raise ValueError("not an MZ executable")
        pe = struct.unpack_from("<I", data, 0x3C)[0]
        if data[pe:pe + 4] != b"PE\0\0":
            raise ValueError("no PE signature")
        (self.machine, nsec, _, _, _, opt_size,
         self.characteristics) = struct.unpack_from("<HHIIIHH", data, pe + 4)
        opt = pe + 24
        self.magic = struct.unpack_from("<H", data, opt)[0]
        self.subsystem = struct.unpack_from("<H", data, opt + 68)[0]
        dd = opt + (112 if self.magic == 0x20B else 96)
        self.res_rva, self.res_size = struct.unpack_from("<II", data, dd + 2 * 8)
        self.sections = []
        for i in range(nsec):
            off = opt + opt_size + 40 * i
            name = data[off:off + 8].rstrip(b"\0").decode("ascii", "replace")
            vsize, va, rawsize, rawptr = struct.unpack_from("<IIII", data, off + 8)
            self.sections.append((name, va, max(vsize, rawsize), rawptr))

    def off(self, rva):
        for _, va, size, raw in self.sections:
            if va <= rva < va + size:
                return raw + rva - va
        raise ValueError("RVA 0x%x not in any section" % rva)

    def resources(self):
        """{type: {name: {lang: bytes}}}; names/types are int IDs or str."""
        if not self.res_rva:
            return {}
        base = self.off(self.res_rva)
        d = self.d

        def name_of(entry_name):
            if entry_name & 0x80000000:
                p = base + (entry_name & 0x7FFFFFFF)
                n = struct.unpack_from("<H", d, p)[0]
                return d[p + 2:p + 2 + 2 * n].decode("utf-16-le")
            return entry_name

        def walk(dir_off, depth):
            _, _, _, _, nnamed, nid = struct.unpack_from("<IIHHHH", d, base + dir_off)
            out = {}
            for i in range(nnamed + nid):
                ename, eoff = struct.unpack_from("<II", d, base + dir_off + 16 + 8 * i)
                key = name_of(ename)
                if eoff & 0x80000000:
                    out[key] = walk(eoff & 0x7FFFFFFF, depth + 1)
                else:
                    rva, size, _, _ = struct.unpack_from("<IIII", d, base + eoff)
                    p = self.off(rva)
                    out[key] = d[p:p + size]
            return out

        return walk(0, 0)


def only_lang(tree):
    """A name's leaf: {lang: bytes} -> bytes (first language)."""
    return next(iter(tree.values()))


def parse_group_icon(b):
    _, typ, count = struct.unpack_from("<HHH", b, 0)
    entries = []
    for i in range(count):
        w, h, _, _, _, bpp, nbytes, nid = struct.unpack_from("<BBBBHHIH", b, 6 + 14 * i)
        entries.append((w or 256, h or 256, bpp, nbytes, nid))
    return typ, entries


def parse_versioninfo(b):
    """Returns (fixed: dict, strings: {key: value}, translations: [(lang, cp)])."""
    def align(p):
        return (p + 3) & ~3

    def node(p):
        wlen, vlen, wtype = struct.unpack_from("<HHH", b, p)
        q = p + 6
        end = q
        while b[end:end + 2] != b"\0\0":
            end += 2
        key = b[q:end].decode("utf-16-le")
        vstart = align(end + 2)
        vbytes = vlen * 2 if wtype == 1 else vlen  # text values count WCHARs
        value = b[vstart:vstart + vbytes]
        children = []
        c = align(vstart + vbytes)
        while c < p + wlen:
            child, clen = node(c)
            children.append(child)
            c = align(c + clen)
        return (key, wtype, value, children), wlen

    (key, _, value, children), _ = node(0)
    if key != "VS_VERSION_INFO":
        raise ValueError("bad VERSIONINFO root key %r" % key)
    sig, _, fvms, fvls, pvms, pvls = struct.unpack_from("<IIIIII", value, 0)
    if sig != 0xFEEF04BD:
        raise ValueError("bad VS_FIXEDFILEINFO signature 0x%x" % sig)
    v = lambda ms, ls: "%d.%d.%d.%d" % (ms >> 16, ms & 0xFFFF, ls >> 16, ls & 0xFFFF)
    flags, fos, ftype = struct.unpack_from("<III", value, 28)  # dwFileFlags, dwFileOS, dwFileType
    fixed = {"FileVersion": v(fvms, fvls), "ProductVersion": v(pvms, pvls),
             "FileFlags": flags, "FileOS": fos, "FileType": ftype}
    strings, trans = {}, []
    for ckey, _, cval, cchildren in children:
        if ckey == "StringFileInfo":
            for _tkey, _, _, table in cchildren:
                for skey, _, sval, _ in table:
                    strings[skey] = sval.decode("utf-16-le").rstrip("\0")
        elif ckey == "VarFileInfo":
            for vkey, _, vval, _ in cchildren:
                if vkey == "Translation":
                    for i in range(0, len(vval) - 3, 4):
                        trans.append(struct.unpack_from("<HH", vval, i))
    return fixed, strings, trans


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("exe")
    ap.add_argument("--manifest", required=True)
    ap.add_argument("--fixed-version", required=True)
    ap.add_argument("--icon-name", default="GLFW_ICON")
    ap.add_argument("--icon-sizes", default="16,24,32,48,64,128,256")
    ap.add_argument("--expect", action="append", default=[], metavar="KEY=VALUE")
    a = ap.parse_args()

    fails = []

    def check(ok, what):
        print("  [%s] %s" % ("ok" if ok else "FAIL", what))
        if not ok:
            fails.append(what)

    pe = PE(open(a.exe, "rb").read())
    print("PE headers:")
    check(pe.magic == 0x20B, "PE32+ optional header (magic 0x%x)" % pe.magic)
    check(pe.machine == 0x8664, "machine x86-64 (0x%x)" % pe.machine)
    check(pe.subsystem == 2, "subsystem WINDOWS_GUI (%d)" % pe.subsystem)
    names = [s[0] for s in pe.sections]
    check(".rsrc" in names, ".rsrc section present (sections: %s)" % " ".join(names))
    check(pe.res_rva != 0 and pe.res_size > 0,
          "resource data directory set (rva 0x%x, %d bytes)" % (pe.res_rva, pe.res_size))

    res = pe.resources()
    print("Resources: " + ", ".join(
        "%s x%d" % (RT_NAMES.get(t, t), len(v)) for t, v in sorted(res.items(), key=str)))

    print("Icon:")
    groups = res.get(RT_GROUP_ICON, {})
    check(a.icon_name in groups, "RT_GROUP_ICON %r present (have %s)" % (a.icon_name, list(groups)))
    if a.icon_name in groups:
        typ, entries = parse_group_icon(only_lang(groups[a.icon_name]))
        sizes = sorted(w for w, _, _, _, _ in entries)
        want = sorted(int(s) for s in a.icon_sizes.split(","))
        check(typ == 1, "group type is icon")
        check(sizes == want, "icon sizes %s (want %s)" % (sizes, want))
        icons = res.get(RT_ICON, {})
        for w, h, bpp, nbytes, nid in entries:
            img = icons.get(nid)
            ok = img is not None and len(only_lang(img)) == nbytes
            kind = ""
            if img is not None:
                kind = "PNG" if only_lang(img)[:8] == b"\x89PNG\r\n\x1a\n" else "DIB"
            check(ok, "RT_ICON #%d %dx%d %dbpp %s, %d bytes" % (nid, w, h, bpp, kind, nbytes))

    print("Manifest:")
    mans = res.get(RT_MANIFEST, {})
    check(1 in mans, "RT_MANIFEST ID 1 present")
    if 1 in mans:
        want = open(a.manifest, "rb").read()
        got = only_lang(mans[1])
        check(got == want, "RT_MANIFEST equals %s (%d bytes)" % (a.manifest, len(got)))
        for needle in (b"PerMonitorV2", b"Microsoft.Windows.Common-Controls",
                       b"8e0f7a12-bfb3-4fe8-b9a5-48fd50a15a9a",
                       b"35138b9a-5d96-4fbd-8e2d-a2440225f93a"):
            check(needle in got, "manifest mentions %s" % needle.decode())

    print("VERSIONINFO:")
    vers = res.get(RT_VERSION, {})
    check(1 in vers, "RT_VERSION ID 1 present")
    if 1 in vers:
        fixed, strings, trans = parse_versioninfo(only_lang(vers[1]))
        check(fixed["FileVersion"] == a.fixed_version,
              "fixed FileVersion %s (want %s)" % (fixed["FileVersion"], a.fixed_version))
        check(fixed["ProductVersion"] == a.fixed_version,
              "fixed ProductVersion %s (want %s)" % (fixed["ProductVersion"], a.fixed_version))
        check(fixed["FileType"] == 1, "FileType VFT_APP")
        check((0x0804, 1200) in trans, "Translation 0x0804/1200 (zh-CN, UTF-16): %s"
              % ["0x%04x/%d" % t for t in trans])
        for k, val in sorted(strings.items()):
            print("        %-16s = %s" % (k, val))
        for e in a.expect:
            k, _, val = e.partition("=")
            check(strings.get(k) == val, "%s == %r" % (k, val))

    if fails:
        print("verify-pe: %d check(s) FAILED" % len(fails), file=sys.stderr)
        for f in fails:
            print("  - " + f, file=sys.stderr)
        return 1
    print("verify-pe: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
