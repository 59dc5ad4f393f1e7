"""Placeholder: this page is being built."""

import streamlit as st

st.title("reviews".replace("_", " ").capitalize())
st.info("This page is being built.")
