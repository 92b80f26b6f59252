"""The 好差评 API: ``POST /ratings`` (``api/ratings``), the loop and appeals
(``api/rectifications``), rates and rankings (``api/figures``)."""
