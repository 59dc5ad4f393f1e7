"""Placeholder: this page is being built."""

import streamlit as st

st.title("themes".replace("_", " ").capitalize())
st.info("This page is being built.")
