"""Placeholder: this page is being built."""

import streamlit as st

st.title("my_actions".replace("_", " ").capitalize())
st.info("This page is being built.")
