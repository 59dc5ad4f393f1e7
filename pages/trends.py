"""Placeholder: this page is being built."""

import streamlit as st

st.title("trends".replace("_", " ").capitalize())
st.info("This page is being built.")
