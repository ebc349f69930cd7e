"""The project's URLs plus viewflow's stock frontend for ItemFlow, mounted only for the bench so the
stock inbox can be measured on the same data. The product itself does not serve these pages."""

from django.urls import path
from viewflow.urls import Site
from viewflow.workflow.flow import FlowAppViewset

from config.urls import urlpatterns as project_urlpatterns
from tasks.flows import ItemFlow

site = Site(title="viewflow stock", viewsets=[FlowAppViewset(ItemFlow, icon="assignment")])

urlpatterns = [*project_urlpatterns, path("vf/", site.urls)]
