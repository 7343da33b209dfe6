"""Streamlit helpers: cached loaders, session state, plotly figures. The only streamlit importer."""
