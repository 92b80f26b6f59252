"""Pages of 12345 (``/hotline/``): the operator's workbench, the queues and the ticket page for
staff (``pages/staff``), the card ledger and recurring complaints (``pages/ledger``), the
knowledge base (``pages/knowledge``), and for callers filing and following a ticket
(``pages/citizen``)."""

from onething.hotline.pages import citizen, knowledge, ledger, staff

urlpatterns = staff.urlpatterns + ledger.urlpatterns + knowledge.urlpatterns + citizen.urlpatterns
