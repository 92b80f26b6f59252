"""Pages of 好差评 (``/ratings/``): rating a case or a window visit and my ratings
(``pages/citizen``), the rectification loop, appeals and defects for staff (``pages/staff``),
rates, rankings, export and the public summaries (``pages/figures``)."""

from onething.ratings.pages import citizen, defects, figures, staff

urlpatterns = citizen.urlpatterns + staff.urlpatterns + defects.urlpatterns + figures.urlpatterns
