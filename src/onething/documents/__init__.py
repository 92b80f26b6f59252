"""文书: one service for documents the platform renders and issues.

``render`` turns a template into a PDF (embedded CJK font, QR codes, no network); ``service``
issues verifiable documents (number, issuer, date, content hash, random token) that anyone can
check on ``/documents/verify/<token>/`` without seeing personal data, and keeps their stored
renderings.
"""
