"""libxml2's syntax errors in Vietnamese: a designer reads what is wrong with the file, not English."""

from __future__ import annotations

import re

_MESSAGES: tuple[tuple[re.Pattern[str], str], ...] = tuple((re.compile(p), m) for p, m in (
    (r"Opening and ending tag mismatch: (\S+) line (\d+) and ([^\s,]+)",
     "thẻ mở «{0}» (dòng {1}) và thẻ đóng «{2}» không khớp"),
    (r"Premature end of data in tag (\S+) line (\d+)", "tệp kết thúc khi thẻ «{0}» (dòng {1}) chưa đóng"),
    (r"EndTag: '</' not found", "thiếu thẻ đóng"),
    (r"Start tag expected, '<' not found", "không thấy thẻ mở đầu: nội dung không phải XML"),
    (r"Extra content at the end of the document", "có nội dung thừa sau phần tử gốc"),
    (r"Document is empty", "tài liệu rỗng"),
    (r"Couldn't find end of Start Tag (\S+)", "thẻ «{0}» không được đóng đúng cách"),
    (r"Attribute (\S+) redefined", "thuộc tính «{0}» được khai báo hai lần"),
    (r"xmlParseEntityRef: no name", "ký tự & đứng riêng; hãy viết &amp;"),
    (r"Entity '([^']+)' not defined", "thực thể «{0}» không được định nghĩa"),
    (r"AttValue: \" or ' expected", "giá trị thuộc tính phải nằm trong dấu nháy"),
    (r"Specification mandates value for attribute (\S+)", "thuộc tính «{0}» thiếu giá trị"),
    (r"attributes construct error", "thuộc tính viết sai cú pháp"),
    (r"Namespace prefix (\S+) on (\S+) is not defined",
     "tiền tố không gian tên «{0}» của «{1}» chưa được khai báo"),
    (r"Input is not proper UTF-8", "tệp không đúng mã UTF-8"),
    (r"(?:PCDATA invalid Char value|Char 0x[0-9A-Fa-f]+ out of allowed range)", "có ký tự không được phép trong XML"),
    (r"StartTag: invalid element name", "tên phần tử không hợp lệ"),
    (r"Comment not terminated", "chú thích (<!-- … -->) chưa được đóng"),
    (r"Unescaped '<' not allowed in attributes values", "ký tự < trong giá trị thuộc tính phải viết &lt;"),
))


def vietnamese(message: str) -> str:
    """The Vietnamese for a libxml2 syntax error (a general description when it is not known)."""
    for pattern, text in _MESSAGES:
        found = pattern.search(message or "")
        if found:
            return text.format(*found.groups())
    return "cú pháp XML sai"
